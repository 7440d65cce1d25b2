import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requires } from '../../schemas/access.js';
import { IdempotencyHeaders, IdParam, problemResponses, Slug } from '../../schemas/common.js';
import { described } from '../../schemas/responses.js';
import { AcceptHandover, Handover, HandoverList, HandoverListQuery, HandoverParams, HandoverRef, RefuseHandover, StartHandover } from './handover-schemas.js';
import type { HandoverWorkflows } from './handover-workflows.js';
import { XmlMessage } from './schemas.js';

const TenantOnly = Type.Object({ tenant: Slug }, { additionalProperties: false });
const tags = ['XDOMEA'];
const security = [{ bearerAuth: [] }];

export interface HandoverRouteOptions {
  handover: HandoverWorkflows;
}

/**
 * In-service hand-over (Abgabe 0401/0402) to another tenant: JSON commands, in a context of their
 * own (the XDOMEA message routes take XML and ZIP only). Records managers only, on both sides.
 */
const handoverRoutes: FastifyPluginAsyncTypebox<HandoverRouteOptions> = async (app, { handover }) => {
  app.addSchema(Handover);
  app.post('/files/:fileId/xdomea/handovers', {
    schema: {
      tags, security, operationId: 'startXdomeaHandover',
      summary: 'Hand a file over to another tenant (XDOMEA Abgabe 0401, in-service)',
      ...requires('xdomea:handover',
        'A change of competence within EN-Akte, e.g. a town hands a Schwerbehindertenausweis file to `en-kreis`. The same 0401 ' +
        'container as the export (XDOMEA 3.0.0 by default, or 4.0.0) is staged; the recipient tenant\'s records manager accepts ' +
        'or refuses it. The file must be open and have no open hand-over (409). Only the sending and the recipient tenant see ' +
        'the hand-over.'),
      params: IdParam('fileId', 'file'), headers: IdempotencyHeaders, body: StartHandover,
      response: { 201: described(HandoverRef, 'The hand-over, offered'), ...problemResponses(400, 401, 403, 404, 409, 415, 422, 500) },
    },
  }, async (request, reply) => reply.code(201).send(await handover.start(request.ctx!, request.params.fileId, request.body)));

  app.get('/xdomea/handovers', {
    schema: {
      tags, security, operationId: 'listXdomeaHandovers',
      summary: 'Hand-overs this tenant receives (incoming, default) or sends (outgoing)',
      ...requires('xdomea:handover',
        '`direction=incoming` (default) lists the hand-overs offered to this tenant to accept or refuse, `outgoing` those it sent; ' +
        'filter by `state`. Oldest first, `limit` per page (default 50, at most 200); pass `next` as `cursor`. Each names the ' +
        'other tenant, the file\'s reference, the XDOMEA version and, once decided, who decided and the new reference.'),
      params: TenantOnly, querystring: HandoverListQuery,
      response: { 200: described(HandoverList, 'One page of hand-overs, oldest first'), ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => handover.list(request.ctx!, request.query));

  app.get('/xdomea/handovers/:handoverId', {
    schema: {
      tags, security, operationId: 'getXdomeaHandover',
      summary: 'One hand-over this tenant sends or receives',
      ...requires('xdomea:handover',
        'Its state (offered, accepted, completed or refused), direction, sender and recipient, the file handed over and, once accepted, the ' +
        'recipient\'s file and reference. Only the sending and the recipient tenant see it: for every other tenant it answers 404.'),
      params: HandoverParams,
      response: { 200: described(HandoverRef, 'The hand-over'), ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => handover.get(request.ctx!, request.params.handoverId));

  app.post('/xdomea/handovers/:handoverId/accept', {
    schema: {
      tags, security, operationId: 'acceptXdomeaHandover',
      summary: 'Accept a hand-over under one of this tenant\'s plan units (imports the 0401, answers 0402)',
      ...requires({ allOf: ['xdomea:handover', 'xdomea:import', 'records:write'] },
        'The recipient\'s records manager takes the file over: the 0401 is imported as a new file with a reference of its own ' +
        '(content stored first, then one short transaction; all or nothing), a 0402 Abgabe.ImportBestaetigen is produced, and ' +
        'the sender\'s file is closed with a note of the hand-over. A hand-over decided already answers 409; an unknown or ' +
        'retired plan unit 422/409 with nothing written.'),
      params: HandoverParams, headers: IdempotencyHeaders, body: AcceptHandover,
      response: { 200: described(HandoverRef, 'The hand-over, accepted (completed once the sender\'s file is closed)'), ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 500) },
    },
  }, async (request) => handover.accept(request.ctx!, request.params.handoverId, request.body));

  app.post('/xdomea/handovers/:handoverId/refuse', {
    schema: {
      tags, security, operationId: 'refuseXdomeaHandover',
      summary: 'Refuse a hand-over (0402 reporting no success, with the reason)',
      ...requires('xdomea:handover',
        'XDOMEA models a refusal as an Abgabe.ImportBestaetigen.0402 with Erfolgreich false and the reason as Fehlermeldung. The sender\'s file stays open.'),
      params: HandoverParams, headers: IdempotencyHeaders, body: RefuseHandover,
      response: { 200: described(HandoverRef, 'The hand-over, refused'), ...problemResponses(400, 401, 403, 404, 409, 415, 422, 500) },
    },
  }, async (request) => handover.refuse(request.ctx!, request.params.handoverId, request.body));

  app.get('/xdomea/handovers/:handoverId/import-confirmation', {
    schema: {
      tags, security, operationId: 'getXdomeaHandoverConfirmation',
      summary: 'The 0402 Abgabe.ImportBestaetigen the recipient answered with',
      ...requires('xdomea:handover',
        'Valid against the official schema of the hand-over\'s XDOMEA version. 409 while the recipient has not decided.'),
      params: HandoverParams,
      produces: ['application/xml'],
      response: { 200: XmlMessage('The 0402 message', 1024 * 1024), ...problemResponses(400, 401, 403, 404, 409, 500) },
    },
  }, async (request, reply) => {
    const out = await handover.importConfirmation(request.ctx!, request.params.handoverId);
    reply.type('application/xml; charset=utf-8');
    reply.header('content-disposition', `attachment; filename="${out.filename}"`);
    return reply.send(out.xml);
  });
};

export default handoverRoutes;
