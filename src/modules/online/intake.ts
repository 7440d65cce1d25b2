import { createHash, createHmac } from 'node:crypto';
import { eventOf, type UnitOfWork } from '../../core/index.js';
import { errors } from '../../errors.js';
import { onlineRepo, type ServiceRow, type SubmissionRow } from './repo.js';

/** SHA-256 of a JSON value with sorted keys: equal submissions hash equal however the portal orders them. */
export function canonicalHash(value: unknown): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canon)
      : v !== null && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])]))
        : v;
  return createHash('sha256').update(JSON.stringify(canon(value))).digest('hex');
}

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The citizen's status token of a submission: 256 bits of HMAC under the data key, so a retried
 * intake answers with the same token although only its hash is stored.
 */
export const statusTokenOf = (key: Buffer, submissionId: string) => createHmac('sha256', key).update(`status-token:${submissionId}`).digest('base64url');

/** The steps of an intake inside one tenant; the workflow (src/workflows/intake.ts) strings them together. */
export const intakeOps = {
  /** Where the portal sent it: an earlier receipt of this submission id, and the service. */
  async arrival(uow: UnitOfWork, serviceKey: string, portalId: string) {
    const repo = uow.repo(onlineRepo);
    const receipt = await repo.receipt(portalId);
    const service = await repo.serviceByKey(serviceKey);
    return { receipt, service };
  },

  /** The service as the competent tenant offers it: 422 when it does not, or has switched it off. */
  async competentService(uow: UnitOfWork, serviceKey: string): Promise<ServiceRow> {
    const service = await uow.repo(onlineRepo).serviceByKey(serviceKey);
    if (!service || !service.active) {
      throw errors.formInvalid(`The competent authority (${uow.tenant.slug}) does not offer service ${serviceKey} online`, [{ path: '/serviceKey', message: 'is not offered by the competent tenant' }]);
    }
    return service;
  },

  receipt: (uow: UnitOfWork, portalId: string) => uow.repo(onlineRepo).receipt(portalId),
  existing: (uow: UnitOfWork, originTenant: string, portalId: string) => uow.repo(onlineRepo).submissionOf(originTenant, portalId),
  byId: (uow: UnitOfWork, id: string) => uow.repo(onlineRepo).submission(id),
  lockRunningFile: (uow: UnitOfWork, title: string) => uow.repo(onlineRepo).lock(`running-file:${title}`),
  tenant: (uow: UnitOfWork, slug: string) => uow.repo(onlineRepo).tenantBySlug(slug),

  /** Records a filed submission with its receipt (filed here) and the citizen's index entry. */
  async record(
    uow: UnitOfWork,
    s: Omit<SubmissionRow, 'tenantId' | 'rowVersion' | 'createdAt' | 'stateAt' | 'state' | 'stateReason' | 'decisionDocumentId' | 'overdueAt'>,
    index: { tokenHash: string; accountHash: string | null; expiresAt: Date },
  ): Promise<SubmissionRow> {
    const repo = uow.repo(onlineRepo);
    const row = await repo.createSubmission(s);
    if (s.originTenant === uow.tenant.slug) {
      await repo.createReceipt({ id: s.id, portalId: s.portalId, serviceKey: s.serviceKey, bodyHash: s.bodyHash, filedWith: uow.tenant.slug, createdBy: s.createdBy });
    }
    await repo.indexStatus({ submissionId: s.id, ...index });
    await uow.audit.append(
      {
        action: 'submission.received', objectType: 'submission', objectId: s.id,
        new: { submissionId: s.portalId, serviceKey: s.serviceKey, originTenant: s.originTenant, fileId: s.fileId, caseId: s.caseId, formDocumentId: s.formDocumentId, paymentRequired: s.paymentRequired, paymentStatus: s.paymentStatus },
      },
      eventOf('submission.received', s.id, { fileId: s.fileId, caseId: s.caseId }, { serviceKey: s.serviceKey, portalId: s.portalId, originTenant: s.originTenant, paymentRequired: s.paymentRequired }),
    );
    return row;
  },

  /** The town's record of a submission it forwarded: id, service, where to; nothing of the content. */
  async recordForward(uow: UnitOfWork, r: { id: string; portalId: string; serviceKey: string; bodyHash: string; filedWith: string; createdBy: string }) {
    const repo = uow.repo(onlineRepo);
    if (await repo.receipt(r.portalId)) return;
    // A parallel retry may record it first; its own unit then fails on the unique key and is retried by the portal.
    await repo.createReceipt(r);
    await uow.audit.append(
      { action: 'submission.forwarded', objectType: 'submission', objectId: r.id, new: { submissionId: r.portalId, serviceKey: r.serviceKey, filedWith: r.filedWith } },
      eventOf('submission.forwarded', r.id, {}, { serviceKey: r.serviceKey, portalId: r.portalId, filedWith: r.filedWith }),
    );
  },
};
export type IntakeOps = typeof intakeOps;
