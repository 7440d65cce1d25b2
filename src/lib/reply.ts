import type { FastifyReply } from 'fastify';

/** A resource representation with its strong ETag, as services return them. */
export interface Versioned<T> {
  value: T;
  etag: string;
}

/** Sends a resource with its ETag (and Location for 201). */
export function sendVersioned<T>(reply: FastifyReply, v: Versioned<T>, status = 200, location?: string) {
  reply.header('etag', v.etag);
  if (location) reply.header('location', location);
  return reply.code(status).send(v.value);
}
