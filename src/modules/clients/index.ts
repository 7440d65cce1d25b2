/** Machine clients of a tenant (specialist applications, the portal) and the OAuth 2.0 token endpoint. */
export { createClientService, type ClientService } from './service.js';
export { default as clientRoutes } from './routes.js';
export { default as tokenRoute } from './token-route.js';
