import type { FastifyReply } from 'fastify';

/** Sends a resource with its ETag (and Location for 201). */
export function sendVersioned<T>(reply: FastifyReply, v: { value: T; etag: string }, status = 200, location?: string) {
  reply.header('etag', v.etag);
  if (location) reply.header('location', location);
  return reply.code(status).send(v.value);
}
