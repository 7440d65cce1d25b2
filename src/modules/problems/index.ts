/** The problem types of the error catalogue, documented where their `type` URIs point. */
export { default as problemRoutes } from './routes.js';
