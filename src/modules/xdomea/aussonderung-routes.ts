import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requires } from '../../schemas/access.js';
import { IdempotencyHeaders, IdParam, problemResponses, Slug } from '../../schemas/common.js';
import { described } from '../../schemas/responses.js';
import { ArchiveMessageResult, ExportRequest, ExportStatusRef, ExportStatusSchema, OfferBody, VersionQuery } from './aussonderung-schemas.js';
import type { AussonderungWorkflows } from './aussonderung-workflows.js';
import { AbgabeImportQuery, AbgabeImportResult, PLAN_MESSAGE_MAX_BYTES, XmlMessage, ZipMessage } from './schemas.js';

const TenantOnly = Type.Object({ tenant: Slug }, { additionalProperties: false });
const tags = ['XDOMEA'];
const security = [{ bearerAuth: [] }];
const MESSAGE_TYPES = ['application/xml', 'text/xml', 'application/zip'];

export interface AussonderungRouteOptions {
  aussonderung: AussonderungWorkflows;
}

/**
 * XDOMEA Aussonderung with the archive (0501–0507), the 0503 import, and exports (0503, 0401) as
 * jobs with a status resource and a download. JSON routes keep the app's parsers; the message
 * routes take XML or ZIP only.
 */
const xdomeaAussonderungRoutes: FastifyPluginAsyncTypebox<AussonderungRouteOptions> = async (app, { aussonderung }) => {
  app.addSchema(ExportStatusSchema);
  app.post('/xdomea/aussonderung/offers', {
    schema: {
      tags, security, operationId: 'offerFilesXdomea',
      summary: 'Offer files to the archive: XDOMEA Aussonderung.Anbieteverzeichnis.0501',
      ...requires('disposal:manage',
        'For the due files named (retention ended, no hold): the 0501 with their metadata, history and retention, in XDOMEA 3.0.0 (default) ' +
        'or 4.0.0, validated against the official schema. The files move to `offered` in the same transaction; any file not due answers 409 ' +
        'disposal-out-of-order (a hold 409 on-hold) and nothing changes.'),
      params: TenantOnly, querystring: VersionQuery, headers: IdempotencyHeaders, body: OfferBody,
      produces: ['application/xml'],
      response: { 200: XmlMessage('The 0501 message', 256 * 1024 * 1024), ...problemResponses(400, 401, 403, 404, 409, 422, 500) },
    },
  }, async (request, reply) => {
    const out = await aussonderung.offer(request.ctx!, { ...request.body, version: request.query.version });
    reply.type('application/xml; charset=utf-8').header('content-disposition', `attachment; filename="${out.filename}"`);
    return reply.send(out.xml);
  });

  app.post('/xdomea/exports', {
    schema: {
      tags, security, operationId: 'requestExportXdomea',
      summary: 'Export as a job: an XDOMEA 0503 Aussonderung or a 0401 Abgabe container',
      ...requires({ allOf: ['content:read'], also: ['disposal:manage'] },
        '`message` 0503: the files evaluated A by the archive (all of them, or those in `fileIds`), each with every version\'s primary ' +
        'file, its history from the audit trail and its retention; `message` 0401: the one file in `fileIds`. The container is written ' +
        'by a job from storage through the ZIP writer back into storage (flat memory, any size). Answers 202 with the status resource ' +
        '(Location); fetch `…/content` once it is done, within XDOMEA_EXPORT_RETENTION_HOURS (then it expires). An export a crashed worker ' +
        'left queued or running fails after twice its job\'s expiry (12 hours). A 0401 needs `content:read`; a 0503 (it hands ' +
        'files to the archive) needs `disposal:manage` as well, so only records managers export it.'),
      params: TenantOnly, querystring: VersionQuery, headers: IdempotencyHeaders, body: ExportRequest,
      response: {
        202: { ...described(ExportStatusRef, 'The export, queued'), headers: { location: { type: 'string', maxLength: 300, description: 'URL of the status resource' } } },
        ...problemResponses(400, 401, 403, 404, 409, 422, 500),
      },
    },
  }, async (request, reply) => {
    const s = await aussonderung.requestExport(request.ctx!, { ...request.body, version: request.query.version });
    reply.header('location', `/v1/tenants/${request.ctx!.tenant.slug}/xdomea/exports/${s.id}`);
    return reply.code(202).send(s);
  });

  app.get('/xdomea/exports/:exportId', {
    schema: {
      tags, security, operationId: 'getExportXdomea',
      summary: 'State and progress of an XDOMEA export job',
      ...requires({ allOf: ['content:read'], also: ['disposal:manage'] },
        'The export\'s message (0503 or 0401), files, state (queued, running, done, failed, expired, withdrawn) and progress ' +
        '(ZIP entries and bytes written), and once done its XDOMEA file name, size and SHA-256; `error` when it failed. Poll it ' +
        'after `POST …/xdomea/exports` until `done`, then fetch `…/content`. The status of a 0503 export needs `disposal:manage` ' +
        'as well. An export of another tenant answers 404.'),
      params: IdParam('exportId', 'export'),
      response: { 200: described(ExportStatusRef, 'The export'), ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => aussonderung.exportStatus(request.ctx!, request.params.exportId));

  app.get('/xdomea/exports/:exportId/content', {
    schema: {
      tags, security, operationId: 'getExportContentXdomea',
      summary: 'The container an XDOMEA export job wrote (ZIP), once it is done',
      ...requires({ allOf: ['content:read'], also: ['disposal:manage'] },
        '409 conflict (with `state`) while the export is queued or running, or when it failed. 410 export-gone (with `state`) once the ' +
        'container is deleted: `expired` XDOMEA_EXPORT_RETENTION_HOURS after the export finished (the sweep), `withdrawn` when a file it ' +
        'held was destroyed (no copy outlives destruction). A 0503 container needs `disposal:manage` as well as `content:read`; ' +
        'the download is recorded in the audit trail.'),
      params: IdParam('exportId', 'export'),
      produces: ['application/zip'],
      response: { 200: ZipMessage('The container'), ...problemResponses(400, 401, 403, 404, 409, 410, 500) },
    },
  }, async (request, reply) => {
    const out = await aussonderung.exportContent(request.ctx!, request.params.exportId);
    reply.type('application/zip').header('content-length', String(out.size)).header('content-disposition', `attachment; filename="${out.filename}"`);
    return reply.send(out.body);
  });

  // Messages from the archive: XML, or a ZIP holding it; no JSON here.
  await app.register(async (messages) => {
    messages.removeAllContentTypeParsers();
    messages.addContentTypeParser(MESSAGE_TYPES, { parseAs: 'buffer', bodyLimit: PLAN_MESSAGE_MAX_BYTES }, (_request, body, done) => done(null, body));
    const body = { type: 'string', format: 'binary', maxLength: PLAN_MESSAGE_MAX_BYTES, description: 'The message (application/xml), or a ZIP holding it' } as const;

    messages.post('/xdomea/aussonderung/evaluations', {
      schema: {
        tags, security, operationId: 'importEvaluationXdomea',
        summary: 'Import the archive\'s XDOMEA Aussonderung.Bewertungsverzeichnis.0502; answers with the 0505 receipt',
        ...requires('disposal:manage',
          'The decision A (take over) or V (destroy) per offered file, recorded all or nothing. Validated against its schema first (422 ' +
          'message-invalid with schemaErrors; a DTD is refused). A file of another tenant or unknown: 422 unprocessable; a file not offered: ' +
          '409 disposal-out-of-order; other codes than A and V: 422. Nothing changes on any refusal. The answer is the 0505 in the 0502\'s version.'),
        params: TenantOnly, headers: IdempotencyHeaders, consumes: MESSAGE_TYPES, body,
        produces: ['application/xml'],
        response: { 200: XmlMessage('The 0505 receipt', 1024 * 1024), ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 500) },
      },
    }, async (request, reply) => {
      const out = await aussonderung.importEvaluation(request.ctx!, request.body as unknown as Buffer | undefined);
      reply.type('application/xml; charset=utf-8').header('content-disposition', `attachment; filename="${out.filename}"`);
      return reply.send(out.xml);
    });

    messages.post('/xdomea/aussonderung/archive-messages', {
      schema: {
        tags, security, operationId: 'importArchiveMessageXdomea',
        summary: 'Import a receipt or import confirmation of the archive: XDOMEA 0504, 0506 or 0507',
        ...requires('disposal:manage',
          '0504 (offer received) and 0507 (Aussonderung received) are recorded in the audit trail. 0506 (AussonderungImportBestaetigen) marks ' +
          'each file the archive took over `archived` with its Archivkennung (from then on it may be destroyed), and records the errors of ' +
          'each it did not. Validated against its schema first (422 message-invalid with schemaErrors); a file of another tenant or unknown ' +
          '(422) or not evaluated A (409 disposal-out-of-order) refuses the whole message.'),
        params: TenantOnly, headers: IdempotencyHeaders, consumes: MESSAGE_TYPES, body,
        response: { 200: described(ArchiveMessageResult, 'What changed'), ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 500) },
      },
    }, async (request) => aussonderung.importArchiveMessage(request.ctx!, request.body as unknown as Buffer | undefined));
  });

  // A 0503 container is streamed to storage as it arrives, then read from there entry by entry.
  await app.register(async (streamed) => {
    streamed.removeAllContentTypeParsers();
    streamed.addContentTypeParser('application/zip', (_request, payload, done) => done(null, payload));
    streamed.post('/xdomea/aussonderung', {
      config: { idempotency: 'stream' },
      schema: {
        tags, security, operationId: 'importAussonderungXdomea',
        summary: 'Import an XDOMEA Aussonderung.Aussonderung.0503 container as a new file (all or nothing)',
        ...requires({ allOf: ['xdomea:import', 'records:write'] },
          'A 0503 of any XDOMEA 3.0.0 or 4.0.0 system (e.g. records coming back from an archive, or a migration), imported under one of ' +
          'the tenant\'s plan units (`planCode`) with a reference of its own: the Akte, else the context Akte with its Vorgänge, else the ' +
          'Vorgänge as one file. Checked like the 0401 import (container limits, schema, every primary file present and matching its SHA-256).'),
        params: TenantOnly, querystring: AbgabeImportQuery, headers: IdempotencyHeaders,
        consumes: ['application/zip'],
        body: { type: 'string', format: 'binary', maxLength: 2 ** 40, description: 'The 0503 container' },
        response: { 201: described(AbgabeImportResult, 'The new file'), ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 500) },
      },
    }, async (request, reply) => {
      const replay = request.idempotency?.replay;
      if (replay) return reply.replayIdempotent(replay);
      const body = (request.body as unknown as AsyncIterable<Uint8Array> | undefined) ?? Readable.from([]);
      return reply.code(201).send(await aussonderung.importAussonderung(request.ctx!, body, request.query as { planCode: string }));
    });
  });
};

export default xdomeaAussonderungRoutes;
