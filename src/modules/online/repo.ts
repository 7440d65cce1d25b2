import type { Db } from '../../db/client.js';
import type { Tx } from '../../db/tenant-tx.js';
import type { OnlineService as ServiceRow, Prisma, Submission as SubmissionRow, SubmissionReceipt as ReceiptRow } from '../../generated/prisma/client.js';

export type { ReceiptRow, ServiceRow, SubmissionRow };

export type NewService = Omit<ServiceRow, 'tenantId' | 'rowVersion' | 'createdAt' | 'updatedAt' | 'formSchema'> & { formSchema: Prisma.InputJsonValue };
export type ServiceChanges = Partial<Omit<NewService, 'id' | 'serviceKey' | 'createdBy'>>;
export type NewSubmission = Omit<SubmissionRow, 'tenantId' | 'rowVersion' | 'createdAt' | 'stateAt' | 'state' | 'stateReason' | 'decisionDocumentId' | 'overdueAt'>;
export type SubmissionChanges = Partial<Pick<SubmissionRow, 'state' | 'stateReason' | 'stateAt' | 'decisionDocumentId' | 'paymentStatus' | 'paymentAmountCents' | 'paymentReference' | 'paymentAt' | 'overdueAt'>>;

/** The online-service catalogue, submissions and receipts of one tenant, bound to a unit of work. */
export const onlineRepo = (tx: Tx, tenantId: string) => ({
  services: () => tx.onlineService.findMany({ where: { tenantId }, orderBy: { serviceKey: 'asc' }, take: 200 }),
  service: (id: string) => tx.onlineService.findFirst({ where: { tenantId, id } }),
  serviceByKey: (serviceKey: string) => tx.onlineService.findFirst({ where: { tenantId, serviceKey } }),
  createService: (s: NewService) => tx.onlineService.create({ data: { ...s, tenantId } }),
  /** Applies `changes` if the row is still at `rowVersion`; null when someone changed it first. */
  async updateService(id: string, rowVersion: number, changes: ServiceChanges): Promise<ServiceRow | null> {
    const { count } = await tx.onlineService.updateMany({
      where: { tenantId, id, rowVersion },
      data: { ...changes, rowVersion: { increment: 1 }, updatedAt: new Date() },
    });
    return count ? tx.onlineService.findFirst({ where: { tenantId, id } }) : null;
  },

  submission: (id: string) => tx.submission.findFirst({ where: { tenantId, id } }),
  lockSubmission: async (id: string): Promise<SubmissionRow | null> => {
    const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM submission WHERE tenant_id = ${tenantId}::uuid AND id = ${id}::uuid FOR UPDATE`;
    return rows.length ? tx.submission.findFirst({ where: { tenantId, id } }) : null;
  },
  submissionOf: (originTenant: string, portalId: string) => tx.submission.findFirst({ where: { tenantId, originTenant, portalId } }),
  createSubmission: (s: NewSubmission) => tx.submission.create({ data: { ...s, tenantId } }),
  updateSubmission: (id: string, changes: SubmissionChanges) =>
    tx.submission.update({ where: { id }, data: { ...changes, rowVersion: { increment: 1 } } }),
  submissionPage: (q: { state?: string; overdue?: boolean; afterId?: string; limit: number }) =>
    tx.submission.findMany({
      where: {
        tenantId,
        state: q.state,
        ...(q.overdue === undefined ? {} : q.overdue ? { overdueAt: { not: null } } : { overdueAt: null }),
        id: q.afterId ? { gt: q.afterId } : undefined,
      },
      orderBy: { id: 'asc' },
      take: q.limit,
    }),
  /** Submissions still received since before `before` and not yet flagged. */
  overdue: (before: Date, limit: number) =>
    tx.submission.findMany({ where: { tenantId, state: 'received', stateAt: { lt: before }, overdueAt: null }, orderBy: { id: 'asc' }, take: limit }),

  receipt: (portalId: string) => tx.submissionReceipt.findFirst({ where: { tenantId, portalId } }),
  receiptById: (id: string) => tx.submissionReceipt.findFirst({ where: { tenantId, id } }),
  createReceipt: (r: Omit<ReceiptRow, 'tenantId' | 'createdAt'>) => tx.submissionReceipt.create({ data: { ...r, tenantId } }),

  indexStatus: (e: { tokenHash: string; submissionId: string; accountHash: string | null; expiresAt: Date }) =>
    tx.submissionStatusIndex.create({ data: { ...e, tenantId } }),

  /** Serialises the creation of one running file (two intakes must not open two). */
  lock: async (key: string) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`${tenantId}:${key}`}, 0))`;
  },

  tenantBySlug: (slug: string) => tx.tenant.findUnique({ where: { slug }, select: { id: true, slug: true, name: true, active: true } }),
  tenantById: (id: string) => tx.tenant.findUnique({ where: { id }, select: { id: true, slug: true, name: true } }),
});

export type OnlineRepo = ReturnType<typeof onlineRepo>;

/**
 * The two lookups a citizen makes without a tenant: by the hash of a status token, by the hash of
 * an account pseudonym. SECURITY DEFINER functions (migration 20261202000000) return tenant and
 * submission ids, nothing else.
 */
export const statusIndex = (db: Db) => ({
  byToken: async (hash: string) =>
    (await db.$queryRaw<{ tenant_id: string; submission_id: string }[]>`SELECT tenant_id, submission_id FROM submission_by_status_token(${hash})`)[0] ?? null,
  byAccount: (hash: string) =>
    db.$queryRaw<{ tenant_id: string; submission_id: string }[]>`SELECT tenant_id, submission_id FROM submissions_by_account(${hash})`,
});

/** Inserts the catalogue entries a tenant lacks (as the owner, at start-up); existing ones stay as they are. */
export async function insertMissingServices(db: Db, slug: string, rows: Omit<NewService, 'id'>[], id: () => string): Promise<number> {
  const tenant = await db.tenant.findUnique({ where: { slug }, select: { id: true } });
  if (!tenant) return 0;
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT set_config('app.tenant_id', ${tenant.id}, true)`;
    const { count } = await tx.onlineService.createMany({ data: rows.map((r) => ({ ...r, id: id(), tenantId: tenant.id })), skipDuplicates: true });
    return count;
  });
}
