import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { sendVersioned } from '../../../lib/reply.js';
import { requires } from '../../../schemas/access.js';
import { ETagHeaders, IfMatchHeaders, IfNoneMatchHeaders, problemResponses, Slug } from '../../../schemas/common.js';
import { PreviewBody, ReferencePreview, TenantSettings, UpdateSettings } from '../schemas/settings.js';
import { notModified } from '../../../schemas/responses.js';
import type { RecordRouteOptions } from './index.js';

const TenantOnly = Type.Object({ tenant: Slug }, { additionalProperties: false });
const tags = ['settings'];
const security = [{ bearerAuth: [] }];
const settingsAnswer = { ...TenantSettings, description: 'The settings', headers: ETagHeaders };

/** The tenant's records settings under …/settings (tenant admins). */
const settingsRoutes: FastifyPluginAsyncTypebox<RecordRouteOptions> = async (app, { records }) => {
  app.get('/settings', {
    schema: {
      tags, security, operationId: 'getTenantSettings',
      summary: "The tenant's reference pattern (Aktenzeichen) and WORM mode",
      ...requires('tenant:configure',
        'The pattern new file references (Aktenzeichen) are generated from, and the WORM mode (GOVERNANCE or COMPLIANCE) ' +
        'with which the content of files closed from now on is locked in storage. Its ETag is the If-Match for `PUT …/settings`.'),
      params: TenantOnly, headers: IfNoneMatchHeaders,
      response: { 200: settingsAnswer, 304: notModified, ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request, reply) => sendVersioned(reply, await records.getSettings(request.ctx!)));

  app.put('/settings', {
    schema: {
      tags, security, operationId: 'updateTenantSettings',
      summary: "Change the tenant's reference pattern and/or WORM mode",
      ...requires('tenant:configure',
        'The pattern needs exactly one {seq} or {seq:N} (422 otherwise). Numbers continue across pattern changes, so no reference ' +
        'and no number of a plan unit repeats. The WORM mode applies to files closed from now on. Requires If-Match.'),
      params: TenantOnly, headers: IfMatchHeaders, body: UpdateSettings,
      response: { 200: settingsAnswer, ...problemResponses(400, 401, 403, 404, 412, 422, 428, 500) },
    },
  }, async (request, reply) => sendVersioned(reply, await records.updateSettings(request.ctx!, request.headers['if-match'], request.body)));

  app.post('/settings/reference-preview', {
    schema: {
      tags, security, operationId: 'previewReference',
      summary: 'Validate a reference pattern and show the next reference it would give under a plan unit',
      ...requires('tenant:configure',
        'Checks a pattern as `PUT …/settings` would (422 unprocessable when it has no or several {seq}, or unknown tokens) and ' +
        'renders the reference the next file under `planCode` would get with it this year. Nothing is stored and no number is ' +
        'taken, so the answer may differ from the reference a file created later gets.'),
      params: TenantOnly, body: PreviewBody,
      response: { 200: ReferencePreview, ...problemResponses(400, 401, 403, 404, 422, 500) },
    },
  }, async (request) => records.previewReference(request.ctx!, request.body));
};

export default settingsRoutes;
