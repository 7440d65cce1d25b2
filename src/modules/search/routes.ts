import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { InScope } from '../../core/index.js';
import { requires } from '../../schemas/access.js';
import { problemResponses } from '../../schemas/common.js';
import { SearchParams, SearchQuery, SearchResult } from './schemas.js';
import type { Search } from './service.js';

export interface SearchRouteOptions {
  service: InScope<Pick<Search, 'search'>>;
}

/** GET /v1/tenants/{tenant}/search: one endpoint over files, cases and documents. */
const searchRoutes: FastifyPluginAsyncTypebox<SearchRouteOptions> = async (app, { service }) => {
  app.get('/search', {
    config: { grantFileFromQuery: true },
    schema: {
      tags: ['search'],
      security: [{ bearerAuth: [] }],
      operationId: 'search',
      summary: 'Search files, cases and documents (German full text, filters, facets, highlights)',
      ...requires('records:read',
        'Searches reference, title, description, sender and addressee, metadata values and the text of the latest version of every document ' +
        '(extracted from PDF, DOCX, XLSX, ODT/ODS, HTML, XML, e-mail and plain text). Only what the caller may read is found, in hits and facet ' +
        'counts alike: the tenant, the caller’s clearance (confidentiality) and a support grant’s one file (competence-centre staff holding a grant ' +
        'for one file search it with `fileId`). Needs a role that reads records. ' +
        'Errors: 400 validation-failed for an empty, oversized (more than 500 characters or 32 words), unbalanced or stop-word-only query, ' +
        'unknown parameters or facets and reversed date ranges; 400 bad-request for a cursor of another search; ' +
        '503 search-timeout when the search ran longer than SEARCH_STATEMENT_TIMEOUT_MS (narrow it).'),
      params: SearchParams,
      querystring: SearchQuery,
      response: { 200: SearchResult, ...problemResponses(400, 401, 403, 404, 500, 503) },
    },
  }, async (request) => service.search(request.ctx!, request.query));
};

export default searchRoutes;
