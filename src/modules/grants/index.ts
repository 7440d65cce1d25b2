/** Support grants: how competence-centre staff act in a town, only as far and as long as the town approved. */
export { grantOps, toSupportGrant, type ActiveGrant, type GrantDeps, type GrantOps } from './service.js';
export { default as grantRoutes } from './routes.js';
