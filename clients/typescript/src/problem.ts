import type { components, paths } from './schema.js';

/** RFC 9457 problem details as the contract describes them (`application/problem+json`); `code` is a catalogue code. */
export type ContractProblem = components['schemas']['Problem'];
/** The client's own problem for an error answer that is not problem+json (a proxy's HTML page, say). */
export interface UnexpectedProblem {
  type: 'about:blank';
  title: string;
  status: number;
  code: 'unexpected-response';
  detail: string;
  instance?: undefined;
  requestId?: undefined;
  [extension: string]: unknown;
}
/** What a ProblemError carries: a problem of the contract, or the client's unexpected-response. */
export type Problem = ContractProblem | UnexpectedProblem;

type Operation = { [P in keyof paths]: { [M in keyof paths[P]]: paths[P][M] }[keyof paths[P]] }[keyof paths];
type ResponseOf<O> = O extends { responses: infer R } ? R[keyof R] : never;
type ProblemBodyOf<R> = R extends { content: { 'application/problem+json': infer B } } ? B : never;
/** Every problem body any operation of the contract can answer. */
export type AnyProblem = ProblemBodyOf<ResponseOf<Operation>>;
/**
 * The stable problem codes (`not-found`, `precondition-failed`, …): the union of the `code` values
 * the contract lists on its error responses (`string` where it does not enumerate them), and the
 * client's own `unexpected-response`.
 */
export type ProblemCode = ([AnyProblem] extends [never] ? string : AnyProblem extends { code: infer C } ? C : string) | UnexpectedProblem['code'];

/** Seconds from a Retry-After header (delta-seconds or an HTTP date), undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/**
 * An error answer of the API as a typed exception: every 4xx/5xx response of the client is thrown
 * as one. `code` is the stable machine-readable code, `problem` the whole problem+json body.
 */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  /** HTTP status of the answer. */
  readonly status: number;
  /** Stable code of the problem (`not-found`, `precondition-failed`, `validation-failed`, …). */
  readonly code: ProblemCode;
  /** The whole problem+json body (with extensions, e.g. `errors` or `currentEtag`). */
  readonly problem: Problem;
  /** The request id (X-Request-Id): quote it to the operators, it names the request in their logs. */
  readonly requestId: string | undefined;
  /** Seconds to wait before trying again (Retry-After), on 429 and 503. */
  readonly retryAfter?: number;
  /** The HTTP response (its body already read). */
  readonly response: Response | undefined;

  constructor(problem: Problem, response?: Response) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.status = problem.status;
    this.code = problem.code as ProblemCode;
    this.problem = problem;
    this.requestId = problem.requestId ?? response?.headers.get('x-request-id') ?? undefined;
    const retryAfter = parseRetryAfter(response?.headers.get('retry-after') ?? null);
    if (retryAfter !== undefined) this.retryAfter = retryAfter;
    this.response = response;
  }

  /** Narrows to one code: `if (err instanceof ProblemError && err.is('precondition-failed')) …`. */
  is<C extends ProblemCode>(code: C): this is ProblemError & { code: C } {
    return this.code === code;
  }

  /**
   * The error of an error response. A body that is not problem+json (a proxy's HTML page, say)
   * becomes a problem with code `unexpected-response` and the text as detail.
   */
  static async fromResponse(response: Response): Promise<ProblemError> {
    const text = await response.text().catch(() => '');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (isProblemBody(body)) return new ProblemError(body, response);
    const problem: UnexpectedProblem = {
      type: 'about:blank',
      title: response.statusText || `HTTP ${response.status}`,
      status: response.status,
      code: 'unexpected-response',
      detail: text.slice(0, 2000),
    };
    return new ProblemError(problem, response);
  }
}

function isProblemBody(body: unknown): body is ContractProblem {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return typeof b.status === 'number' && typeof b.code === 'string' && typeof b.title === 'string';
}

/** Whether `err` is a ProblemError (of `code`, when given). */
export function isProblem<C extends ProblemCode>(err: unknown, code?: C): err is ProblemError & { code: C } {
  return err instanceof ProblemError && (code === undefined || err.code === code);
}
