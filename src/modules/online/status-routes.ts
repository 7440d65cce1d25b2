import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { publicAccess } from '../../schemas/access.js';
import { problemResponses } from '../../schemas/common.js';
import { CitizenStatus, CitizenStatusList, StatusToken } from './schemas.js';
import type { StatusService } from './status.js';

/** The citizen's "where is my application?": no bearer token of ours, rate-limited per address. */
const statusRoutes: FastifyPluginAsyncTypebox<{ status: StatusService; limit: (request: FastifyRequest, reply: FastifyReply) => Promise<void> }> = async (app, { status, limit }) => {
  app.get('/status/:receipt', {
    onRequest: limit,
    schema: {
      tags: ['citizen status'], operationId: 'getApplicationStatus', security: [],
      summary: 'Status of an application, by the token the portal gave the citizen',
      ...publicAccess(
        'Only the service, the state, its date and the competent authority. An unknown token answers exactly like an expired one (404). ' +
          'Rate-limited per address; never cached (Cache-Control: no-store).',
        'no token; the receipt token in the path is the capability (never logged)',
      ),
      params: Type.Object({ receipt: StatusToken }, { additionalProperties: false }),
      response: { 200: CitizenStatus, ...problemResponses(400, 404, 429, 500) },
    },
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return status.byToken(request.params.receipt);
  });

  app.get('/citizen/applications', {
    onRequest: limit,
    schema: {
      tags: ['citizen status'], operationId: 'listMyApplications', security: [{ citizenAuth: [] }],
      summary: "The signed-in citizen's applications (BundID pseudonym)",
      ...publicAccess(
        'Bearer token of the citizen IdP (CITIZEN_IDP_*): its subject is the account id the portal sent with the submissions. ' +
          'Without a configured citizen IdP every token answers 401. Rate-limited per address; never cached.',
        'no EN-Akte token; a token of the citizen IdP (BundID), see citizenAuth',
      ),
      headers: Type.Object({ authorization: Type.Optional(Type.String({ maxLength: 8192 })) }),
      response: { 200: CitizenStatusList, ...problemResponses(400, 401, 429, 500) },
    },
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return status.byCitizen(request.headers.authorization);
  });
};

export default statusRoutes;
