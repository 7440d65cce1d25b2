/** Liveness and readiness. */
export { default as healthRoutes } from './routes.js';
