import type { RequestContext, Scope } from '../core/index.js';
import { errors } from '../errors.js';
import { matchesIfNoneMatch } from '../lib/etag.js';
import { contentDisposition, parseRange, sha256Digest } from '../lib/http-content.js';
import { contentEtag, type ContentAnswer, type ContentConditions, type RecordsOps } from '../modules/records/index.js';
import { BlobNotFoundError, type BlobStore } from '../storage/index.js';

/** When a whole download is answered with a redirect to storage (DOWNLOAD_REDIRECT). */
export interface DownloadRedirectSettings {
  redirect: 'off' | 'auto' | 'always';
  redirectMinBytes: number;
  expirySeconds: number;
}

/**
 * off: never; auto: from the size threshold on, or when the client asks; always: unless the client
 * declines. The client's wish (`?redirect=`) never overrides off: only the operator knows whether
 * clients can reach storage.
 */
function redirects(s: DownloadRedirectSettings, size: number, asked: boolean | undefined): boolean {
  if (s.redirect === 'off') return false;
  if (asked !== undefined) return asked;
  return s.redirect === 'always' || size >= s.redirectMinBytes;
}

/** Served content never runs in the API's origin, whatever its media type. */
const CONTENT_CSP = "default-src 'none'; sandbox";

/**
 * Serving a version's content: in one unit, look the version up (content:read), decide the answer
 * from If-None-Match, If-Range and Range (304 and 416 record nothing), and record the read in the
 * audit trail; after commit, open the stream (whole or the one range).
 */
export function serveContentWorkflow(deps: { scope: Scope; records: RecordsOps; storage: BlobStore; downloads?: DownloadRedirectSettings }) {
  const { scope, records, storage } = deps;
  // The local store has no URLs of its own: it always streams.
  const settings = storage.kind === 's3' ? deps.downloads : undefined;

  return async (ctx: RequestContext, documentId: string, number: number, c: ContentConditions): Promise<ContentAnswer> => {
    const decided = await scope(ctx, async (uow) => {
      const v = await records.contentOf(uow, documentId, number);
      const etag = contentEtag(v.sha256);
      const headers: ContentAnswer['headers'] = {
        etag,
        'accept-ranges': 'bytes',
        'cache-control': 'private, no-cache',
        'repr-digest': sha256Digest(v.sha256),
        'content-disposition': contentDisposition(v.filename),
        'content-security-policy': CONTENT_CSP,
      };
      if (matchesIfNoneMatch(c.ifNoneMatch, etag)) return { v, headers, status: 304 as const };
      const range = c.ifRange !== undefined && c.ifRange !== etag ? { kind: 'full' as const } : parseRange(c.range, v.size);
      if (range.kind === 'unsatisfiable') throw errors.rangeNotSatisfiable(v.size);
      await records.recordContentRead(uow, documentId, number, range.kind === 'partial' ? c.range : undefined);
      headers['content-type'] = v.mediaType;
      if (range.kind === 'partial') {
        headers['content-range'] = `bytes ${range.start}-${range.end}/${v.size}`;
        headers['content-length'] = range.end - range.start + 1;
        return { v, headers, status: 206 as const, range };
      }
      headers['content-length'] = v.size;
      headers['content-digest'] = sha256Digest(v.sha256);
      return { v, headers, status: 200 as const, redirect: settings !== undefined && redirects(settings, v.size, c.redirect) };
    });
    if (decided.status === 304) return { status: 304, headers: decided.headers };
    if (decided.status === 200 && decided.redirect) {
      // Authorised and recorded above; storage answers with the same type, name and caching.
      const h = decided.headers;
      const url = await storage.presignGet(ctx.tenant.slug, decided.v.storageKey, settings!.expirySeconds, {
        contentType: String(h['content-type']),
        contentDisposition: String(h['content-disposition']),
        cacheControl: String(h['cache-control']),
      });
      if (url) {
        // The URL is a bearer capability for its lifetime: no cache keeps it.
        return { status: 307, headers: { location: url, 'cache-control': 'no-store', etag: h.etag!, 'repr-digest': h['repr-digest']! } };
      }
    }
    let body;
    try {
      body = await storage.get(ctx.tenant.slug, decided.v.storageKey, 'range' in decided ? decided.range : undefined);
    } catch (err) {
      // A version row whose object is missing is damage the sanity check reports; never a 404.
      if (err instanceof BlobNotFoundError) throw new Error(`content of ${decided.v.storageKey} is missing from storage`, { cause: err });
      throw err;
    }
    return { status: decided.status, headers: decided.headers, body };
  };
}
