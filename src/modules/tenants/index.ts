/** Tenants: the towns, the district and the competence centre; their directory and settings. */
import type { UnitOfWork } from '../../core/index.js';
import { tenantSettingsRepo } from './repo.js';

export { createTenantDirectory, type TenantDirectory } from './directory.js';
export { createTenantRepo } from './repo.js';
export { createTenantService, type TenantService } from './service.js';
export { default as tenantRoutes } from './routes.js';

/** The reference pattern (Aktenzeichen) of the unit's tenant. */
export const referencePattern = (uow: UnitOfWork): Promise<string> => uow.repo(tenantSettingsRepo).referencePattern();

/** The object-lock mode of the unit's tenant for content at zdA (GOVERNANCE by default). */
export const wormMode = (uow: UnitOfWork): Promise<'GOVERNANCE' | 'COMPLIANCE'> => uow.repo(tenantSettingsRepo).wormMode();
