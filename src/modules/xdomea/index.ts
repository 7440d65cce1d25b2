/** XDOMEA exchange (XÖV standard): file plans 0301 in and out; the XML and ZIP layer every message goes through. */
export { createPlanExchange, type PlanExchange, type XdomeaSettings } from './plan-service.js';
export { default as xdomeaRoutes } from './routes.js';
export { DEFAULT_ZIP_LIMITS } from './zip/safe-zip.js';
export { warmUpSchemas } from './xml/validate.js';
