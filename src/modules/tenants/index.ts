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

/** The tenant's settings as the records context reads and changes them (row-level security: own tenant only). */
export const tenantSettingsStore = {
  read: (uow: UnitOfWork) => uow.repo(tenantSettingsRepo).settings(),
  update: async (uow: UnitOfWork, rowVersion: number, changes: { referencePattern?: string; wormMode?: 'GOVERNANCE' | 'COMPLIANCE' }) =>
    (await uow.repo(tenantSettingsRepo).updateSettings(rowVersion, changes)).count === 1,
};
