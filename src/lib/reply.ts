import type { FastifyReply } from 'fastify';
import { matchesIfNoneMatch } from './etag.js';

/** A resource representation with its strong ETag, as services return them. */
export interface Versioned<T> {
  value: T;
  etag: string;
}

/**
 * Sends a resource with its ETag (and Location for 201). A GET or HEAD whose If-None-Match
 * matches the ETag (RFC 9110 §13.1.2) is answered 304 Not Modified, with the ETag and the other
 * headers already set, and no body. The service has authorised (and where it does, recorded) the
 * read before: a 304 is an answer to an authorised read, never a way around one.
 */
export function sendVersioned<T>(reply: FastifyReply, v: Versioned<T>, status = 200, location?: string) {
  reply.header('etag', v.etag);
  if (location) reply.header('location', location);
  const { method, headers } = reply.request;
  if (status === 200 && (method === 'GET' || method === 'HEAD') && matchesIfNoneMatch(headers['if-none-match'], v.etag)) {
    return reply.code(304).send();
  }
  return reply.code(status).send(v.value);
}
