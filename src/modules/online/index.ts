/**
 * Online services (issue 13): the catalogue of a tenant's online services, the intake of
 * submissions from the portal (FIT-Connect), their processing states, ePayBL payments and the
 * citizen's status lookup. The only entry other modules, workflows, jobs and the app import.
 */
export { SEED_SERVICES, type ServiceDefinition } from './catalogue.js';
export { checkFormSchema, renderForm, renderTitle, validateForm } from './form.js';
export { canonicalHash, intakeOps, sha256Hex, statusTokenOf, type IntakeOps } from './intake.js';
export { onlineOps, toService, toSubmission, type CatalogueDeps, type OnlineOps } from './service.js';
export type { IntakeAnswer, PaymentReport, SubmissionInput } from './schemas.js';
export { default as onlineRoutes, type OnlineRouteOptions } from './routes.js';
export { default as statusRoutes } from './status-routes.js';
export { createStatusService, type StatusService } from './status.js';
export { seedOnlineServices } from './seed.js';
