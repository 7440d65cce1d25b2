/**
 * Search: German full-text search over files, cases and documents, kept current from the outbox,
 * with the text of every version extracted off the request path. The only entry others import.
 */
export { createSearch, SEARCH_EXTRACT_QUEUE, SEARCH_INDEX_QUEUE, type ExtractJob, type IndexJob, type Search, type SearchSettings } from './service.js';
export { default as searchRoutes } from './routes.js';
