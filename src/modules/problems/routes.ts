import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { catalogue, errors, problemType, type ProblemCode } from '../../errors.js';
import { publicAccess } from '../../schemas/access.js';
import { problemResponses } from '../../schemas/common.js';
import { HtmlPage, ProblemType, ProblemTypeList, ProblemTypeParams } from './schemas.js';

const tags = ['problems'];
const OFFERED = ['text/html', 'application/json'] as const;
type Offered = (typeof OFFERED)[number];

/**
 * The representation the Accept header prefers among HTML and JSON (RFC 9110 §12.5.1): the most
 * specific range decides each one's q; equal q (and no Accept, as a browser following the link
 * may send) gives HTML; null when Accept excludes both.
 */
export function negotiate(accept: string | undefined): Offered | null {
  if (!accept?.trim()) return 'text/html';
  const ranges = accept.split(',').map((part) => {
    const [range = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    return { range: range.trim(), q: q === undefined ? 1 : Math.min(1, Number(q) || 0) };
  });
  const quality = (type: Offered) => {
    const [main] = type.split('/');
    const match =
      ranges.find((r) => r.range === type) ?? ranges.find((r) => r.range === `${main}/*`) ?? ranges.find((r) => r.range === '*/*');
    return match?.q ?? 0;
  };
  const [html, json] = OFFERED.map(quality) as [number, number];
  if (html === 0 && json === 0) return null;
  return json > html ? 'application/json' : 'text/html';
}

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
/** Backticks in the catalogue mark code: <code> in HTML. */
const prose = (text: string) => escape(text).replace(/`([^`]+)`/g, '<code>$1</code>');

const page = (title: string, body: string) =>
  `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
  `<title>${escape(title)} – EN-Akte problem types</title>` +
  '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .2em}' +
  'td,th{text-align:left;vertical-align:top;padding:.3rem .6rem .3rem 0}</style></head>\n' +
  `<body>${body}</body></html>\n`;

function entry(code: ProblemCode): ProblemType {
  const { status, title, description } = catalogue[code];
  return { type: problemType(code), code, status, title, description };
}

function typePage(p: ProblemType) {
  return page(
    p.title,
    `<p><a href="../problems">All problem types</a></p><h1>${escape(p.title)}</h1>` +
      `<dl><dt>code</dt><dd><code>${escape(p.code)}</code></dd><dt>status</dt><dd>${p.status}</dd>` +
      `<dt>type</dt><dd><code>${escape(p.type)}</code></dd></dl><p>${prose(p.description)}</p>` +
      '<p>EN-Akte answers errors as RFC 9457 <code>application/problem+json</code> with this <code>type</code>, ' +
      '<code>code</code>, <code>status</code> and <code>title</code>; <code>detail</code> says what went wrong in the occurrence.</p>',
  );
}

function listPage(items: ProblemType[]) {
  const rows = items
    .map((p) => `<tr><td><a href="problems/${escape(p.code)}"><code>${escape(p.code)}</code></a></td><td>${p.status}</td><td>${escape(p.title)}</td></tr>`)
    .join('\n');
  return page(
    'All problem types',
    '<h1>EN-Akte problem types</h1><p>Every error of the API is RFC 9457 <code>application/problem+json</code>; its ' +
      '<code>type</code> is one of these pages. With <code>Accept: application/json</code> each answers JSON.</p>' +
      `<table><thead><tr><th>code</th><th>status</th><th>title</th></tr></thead><tbody>\n${rows}\n</tbody></table>`,
  );
}

/** Public, cacheable answers; the page is inert (no script), whatever a catalogue text says. */
function send(request: FastifyRequest, reply: FastifyReply, json: unknown, html: () => string) {
  const chosen = negotiate(request.headers.accept);
  if (!chosen) throw errors.notAcceptable('Accept text/html or application/json');
  reply.header('vary', 'Accept').header('cache-control', 'public, max-age=3600');
  if (chosen === 'application/json') return reply.type('application/json').send(json);
  return reply
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
    .type('text/html; charset=utf-8')
    .send(html());
}

const answers = (description: string, json: object) => ({
  description,
  headers: {
    vary: { type: 'string', maxLength: 20, description: 'Accept: the representation depends on it' },
    'cache-control': { type: 'string', maxLength: 40, description: 'public, max-age=3600' },
  },
  content: { 'application/json': { schema: json }, 'text/html': { schema: HtmlPage } },
});

/**
 * GET /problems and /problems/{code}: the error catalogue where the problem types point
 * (`<PUBLIC_URL>/problems/<code>`). Public, like a specification: no token, no tenant.
 */
const problemRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addSchema(ProblemType);

  app.get('/problems', {
    schema: {
      tags, operationId: 'listProblemTypes', security: [],
      summary: 'The problem types of the error catalogue',
      ...publicAccess('Every `code` the API answers with, its status, title and description: an HTML page, or JSON with `Accept: application/json`.'),
      response: { 200: answers('Every problem type', ProblemTypeList), ...problemResponses(406) },
    },
  }, async (request, reply) => {
    const items = (Object.keys(catalogue) as ProblemCode[]).map(entry);
    return send(request, reply, { items }, () => listPage(items));
  });

  app.get('/problems/:code', {
    schema: {
      tags, operationId: 'getProblemType', security: [],
      summary: 'One problem type: what a problem `type` URI answers',
      ...publicAccess('An HTML page, or JSON with `Accept: application/json`. An unknown code answers 404 not-found.'),
      params: ProblemTypeParams,
      response: { 200: answers('The problem type', Type.Ref('ProblemType')), ...problemResponses(404, 406) },
    },
  }, async (request, reply) => {
    const { code } = request.params;
    if (!Object.hasOwn(catalogue, code)) throw errors.notFound('problem type');
    const p = entry(code as ProblemCode);
    return send(request, reply, p, () => typePage(p));
  });
};

export default problemRoutes;
