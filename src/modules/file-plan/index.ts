/** The file plan (Aktenplan) of each tenant: units with retention and disposal, retired never deleted. */
export { filePlanOps, toPlanUnit, type FilePlanOps } from './service.js';
export { default as filePlanRoutes } from './routes.js';
export { PlanCode } from './schemas.js';
