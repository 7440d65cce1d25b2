import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { preHandlerAsyncHookHandler } from 'fastify';
import { Type } from 'typebox';
import { errors } from '../../errors.js';
import { basicCredentials } from '../../lib/authorization.js';
import { publicAccess } from '../../schemas/access.js';
import { problemResponses } from '../../schemas/common.js';
import { TokenRequest, TokenResponse } from './schemas.js';
import type { ClientService } from './service.js';

/** `limit`: the rate limits of the token endpoint (per client_id and per address), checked before any secret is hashed. */
const tokenRoute: FastifyPluginAsyncTypebox<{ service: ClientService; limit: preHandlerAsyncHookHandler }> = async (app, { service, limit }) => {
  // RFC 6749 sends the form URL-encoded; JSON is accepted too.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.post('/oauth/token', {
    preHandler: limit,
    schema: {
      tags: ['auth'],
      operationId: 'issueToken',
      // The client authenticates here (client_secret_basic, or the form fields): the door to bearerAuth.
      security: [{ clientSecretBasic: [] }],
      summary: 'OAuth 2.0 token endpoint (client credentials)',
      ...publicAccess(
        'A town system exchanges its client_id and secret (HTTP Basic or form fields) for a short-lived bearer token ' +
          'carrying its tenant and roles. Errors carry RFC 6749 `error` as well as our `code`.',
        'no bearer token; the machine client authenticates with its client_id and secret (a disabled client gets 401 invalid_client)',
      ),
      consumes: ['application/x-www-form-urlencoded', 'application/json'],
      headers: Type.Object({ authorization: Type.Optional(Type.String({ maxLength: 1000, description: 'Basic base64(client_id:client_secret)' })) }),
      body: TokenRequest,
      response: { 200: TokenResponse, ...problemResponses(400, 401, 415, 429, 500) },
    },
  }, async (request, reply) => {
    // client_secret_basic: `Authorization: Basic base64(client_id:client_secret)` (RFC 6749 §2.3.1).
    const basic = basicCredentials(request.headers.authorization);
    if (request.headers.authorization && !basic) throw errors.badRequest('Authorization must be Basic base64(client_id:client_secret)');
    reply.header('cache-control', 'no-store');
    return service.issueToken({
      grantType: request.body.grant_type,
      clientId: basic?.user ?? request.body.client_id,
      clientSecret: basic?.password ?? request.body.client_secret,
    });
  });
};

export default tokenRoute;
