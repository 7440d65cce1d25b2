import { authorize, type UnitOfWork } from '../../../core/index.js';
import { errors } from '../../../errors.js';
import { etagOf } from '../../../lib/etag.js';
import type { Versioned } from '../../../lib/reply.js';
import { requireIfMatch } from '../../../lib/preconditions.js';
import { germanYear, patternProblem, referenceScope, renderReference } from '../reference.js';
import { recordsRepo, type LockMode } from '../repo.js';
import type { PreviewBody, TenantSettings, UpdateSettings } from '../schemas/settings.js';

/** Where the tenant's settings are kept (the tenants module). */
export interface TenantSettingsStore {
  read(uow: UnitOfWork): Promise<{ referencePattern: string; wormMode: LockMode; rowVersion: number }>;
  /** false when `rowVersion` is no longer current. */
  update(uow: UnitOfWork, rowVersion: number, changes: Partial<TenantSettings>): Promise<boolean>;
}

const settingsEtag = (tenantId: string, rowVersion: number) => etagOf(`settings:${tenantId}`, rowVersion);

/** The records settings of a tenant: its Aktenzeichen pattern and its WORM mode (tenant admins). */
export function settingsOps(store: TenantSettingsStore) {
  const validPattern = (pattern: string) => {
    const problem = patternProblem(pattern);
    if (problem) throw errors.unprocessable(`The reference pattern ${problem}`);
  };
  return {
    async getSettings(uow: UnitOfWork): Promise<Versioned<TenantSettings>> {
      authorize(uow.ctx, 'tenant:configure');
      const s = await store.read(uow);
      return { value: { referencePattern: s.referencePattern, wormMode: s.wormMode }, etag: settingsEtag(uow.tenant.id, s.rowVersion) };
    },

    /**
     * Changes the pattern (validated: 422 without exactly one {seq}, unknown tokens…) and/or the
     * WORM mode; audited. Numbers continue across pattern changes (reference.ts). Requires If-Match.
     */
    async updateSettings(uow: UnitOfWork, ifMatch: string | undefined, input: UpdateSettings): Promise<Versioned<TenantSettings>> {
      authorize(uow.ctx, 'tenant:configure');
      if (input.referencePattern !== undefined) validPattern(input.referencePattern);
      const before = await store.read(uow);
      requireIfMatch(ifMatch, settingsEtag(uow.tenant.id, before.rowVersion));
      if (!(await store.update(uow, before.rowVersion, input))) throw errors.preconditionFailed();
      const after = await store.read(uow);
      const value = { referencePattern: after.referencePattern, wormMode: after.wormMode };
      await uow.audit.change({
        action: 'tenant.settings-changed',
        objectType: 'tenant',
        objectId: uow.tenant.id,
        before: { referencePattern: before.referencePattern, wormMode: before.wormMode },
        after: value,
      });
      return { value, etag: settingsEtag(uow.tenant.id, after.rowVersion) };
    },

    /** The reference the next file under `planCode` would get with `referencePattern` (nothing is taken). */
    async previewReference(uow: UnitOfWork, input: PreviewBody) {
      authorize(uow.ctx, 'tenant:configure');
      validPattern(input.referencePattern);
      const parts = { plan: input.planCode, year: germanYear() };
      const seq = await uow.repo(recordsRepo).peekSequence(referenceScope(input.referencePattern, parts));
      return { referencePattern: input.referencePattern, planCode: input.planCode, next: renderReference(input.referencePattern, parts, seq) };
    },
  };
}
