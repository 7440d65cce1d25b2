import { uuidv7 } from 'uuidv7';
import { actorOf, authorize, eventOf, type UnitOfWork } from '../../core/index.js';
import { isUniqueViolation } from '../../db/tenant-tx.js';
import { errors } from '../../errors.js';
import { afterId, idPage } from '../../lib/cursor.js';
import { etagOf } from '../../lib/etag.js';
import { requireIfMatch } from '../../lib/preconditions.js';
import type { Versioned } from '../../lib/reply.js';
import { checkFormSchema } from './form.js';
import { onlineRepo, type ReceiptRow, type ServiceRow, type SubmissionRow } from './repo.js';
import type { CreateOnlineService, ForwardedView, OnlineService, PaymentReport, SubmissionStateName, SubmissionView, Transition, UpdateOnlineService } from './schemas.js';

export const toService = (r: ServiceRow): OnlineService => ({
  id: r.id,
  serviceKey: r.serviceKey,
  title: r.title,
  formSchema: r.formSchema as Record<string, unknown>,
  planCode: r.planCode,
  filing: r.filing as OnlineService['filing'],
  runningFileTitle: r.runningFileTitle,
  caseTitle: r.caseTitle,
  paymentRequired: r.paymentRequired,
  competentTenant: r.competentTenant,
  active: r.active,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});
const versionedService = (r: ServiceRow): Versioned<OnlineService> => ({ value: toService(r), etag: etagOf(r.id, r.rowVersion) });

export const toSubmission = (r: SubmissionRow): SubmissionView => ({
  id: r.id,
  submissionId: r.portalId,
  serviceKey: r.serviceKey,
  serviceTitle: r.serviceTitle,
  receivedFrom: r.originTenant,
  submittedAt: r.submittedAt.toISOString(),
  state: r.state as SubmissionStateName,
  stateReason: r.stateReason,
  stateAt: r.stateAt.toISOString(),
  fileId: r.fileId,
  caseId: r.caseId,
  formDocumentId: r.formDocumentId,
  decisionDocumentId: r.decisionDocumentId,
  paymentRequired: r.paymentRequired,
  payment: r.paymentStatus
    ? { status: r.paymentStatus as 'open', amountCents: r.paymentAmountCents, transactionReference: r.paymentReference, at: r.paymentAt?.toISOString() ?? null }
    : null,
  overdue: r.overdueAt !== null,
  createdAt: r.createdAt.toISOString(),
});
const versionedSubmission = (r: SubmissionRow): Versioned<SubmissionView> => ({ value: toSubmission(r), etag: etagOf(r.id, r.rowVersion) });

/** Which state may follow which (FIT-Connect: accept or reject first; a rejected submission only closes). */
const NEXT: Record<SubmissionStateName, SubmissionStateName[]> = {
  received: ['accepted', 'rejected'],
  accepted: ['in-progress'],
  rejected: ['closed'],
  'in-progress': ['decided'],
  decided: ['closed'],
  closed: [],
};

/** What the catalogue needs from elsewhere: the file plan (a service is filed under a unit that exists). */
export interface CatalogueDeps {
  unitForFiling(uow: UnitOfWork, ref: { planCode: string }): Promise<{ id: string; code: string }>;
  /** A document of the case with content (the Bescheid); null when it is not. */
  decisionDocument(uow: UnitOfWork, caseId: string, documentId: string): Promise<{ id: string } | null>;
}

/** The catalogue of online services, and the processing of the submissions filed with a tenant. */
export function onlineOps(deps: CatalogueDeps) {
  /** Consistency of a service as it would be stored; the competent tenant must exist and be active. */
  async function checkService(uow: UnitOfWork, s: { formSchema: Record<string, unknown>; filing: string; runningFileTitle: string | null; competentTenant: string | null; planCode: string; active: boolean }) {
    checkFormSchema(s.formSchema);
    if (s.filing === 'case-in-running-file' && !s.runningFileTitle) {
      throw errors.formInvalid('A case in a running file needs the running file\'s title', [{ path: '/runningFileTitle', message: 'is required for case-in-running-file' }]);
    }
    if (s.competentTenant) {
      const t = await uow.repo(onlineRepo).tenantBySlug(s.competentTenant);
      if (!t || !t.active) throw errors.formInvalid('The competent tenant does not take part in the shared service', [{ path: '/competentTenant', message: 'is no active tenant' }]);
    }
    // Filed here: the plan unit must exist (and not be retired) before the service is switched on.
    if (!s.competentTenant && s.active) await deps.unitForFiling(uow, { planCode: s.planCode });
  }

  return {
    async listServices(uow: UnitOfWork) {
      authorize(uow.ctx, 'online-services:read');
      return { items: (await uow.repo(onlineRepo).services()).map(toService) };
    },

    async getService(uow: UnitOfWork, id: string) {
      authorize(uow.ctx, 'online-services:read');
      const row = await uow.repo(onlineRepo).service(id);
      if (!row) throw errors.notFound('online service');
      return versionedService(row);
    },

    async createService(uow: UnitOfWork, input: CreateOnlineService) {
      authorize(uow.ctx, 'online-services:manage');
      const competentTenant = input.competentTenant && input.competentTenant !== uow.tenant.slug ? input.competentTenant : null;
      const draft = {
        id: uuidv7(),
        serviceKey: input.serviceKey,
        title: input.title,
        formSchema: input.formSchema,
        planCode: input.planCode,
        filing: input.filing,
        runningFileTitle: input.runningFileTitle ?? null,
        caseTitle: input.caseTitle,
        paymentRequired: input.paymentRequired ?? false,
        competentTenant,
        active: input.active ?? true,
        createdBy: actorOf(uow.ctx.caller),
      };
      await checkService(uow, draft);
      let row: ServiceRow;
      try {
        row = await uow.repo(onlineRepo).createService({ ...draft, formSchema: draft.formSchema as object });
      } catch (err) {
        if (isUniqueViolation(err)) throw errors.conflict(`The tenant already offers service ${input.serviceKey}; change it instead`);
        throw err;
      }
      const v = versionedService(row);
      const { formSchema: _schema, ...recorded } = v.value;
      await uow.audit.append({ action: 'online-service.created', objectType: 'online-service', objectId: row.id, new: recorded });
      return v;
    },

    async updateService(uow: UnitOfWork, id: string, ifMatch: string | undefined, input: UpdateOnlineService) {
      authorize(uow.ctx, 'online-services:manage');
      const repo = uow.repo(onlineRepo);
      const row = await repo.service(id);
      if (!row) throw errors.notFound('online service');
      requireIfMatch(ifMatch, etagOf(row.id, row.rowVersion));
      const competentTenant = input.competentTenant === undefined ? row.competentTenant : input.competentTenant === uow.tenant.slug ? null : input.competentTenant;
      const next = {
        formSchema: (input.formSchema ?? row.formSchema) as Record<string, unknown>,
        filing: input.filing ?? row.filing,
        runningFileTitle: input.runningFileTitle === undefined ? row.runningFileTitle : input.runningFileTitle,
        competentTenant,
        planCode: input.planCode ?? row.planCode,
        active: input.active ?? row.active,
      };
      await checkService(uow, next);
      const after = await repo.updateService(id, row.rowVersion, {
        ...next,
        formSchema: next.formSchema as object,
        title: input.title,
        caseTitle: input.caseTitle,
        paymentRequired: input.paymentRequired,
      });
      if (!after) throw errors.preconditionFailed();
      const { formSchema: _a, ...before } = toService(row);
      const { formSchema: _b, ...now } = toService(after);
      await uow.audit.change({
        action: 'online-service.updated', objectType: 'online-service', objectId: id, before, after: now,
        extra: input.formSchema ? { formSchemaChanged: true } : undefined,
      });
      return versionedService(after);
    },

    /** A submission filed here, or (for the town it was sent to) where it was forwarded: nothing more. */
    async getSubmission(uow: UnitOfWork, id: string): Promise<Versioned<SubmissionView | ForwardedView>> {
      authorize(uow.ctx, 'submissions:read');
      const repo = uow.repo(onlineRepo);
      const row = await repo.submission(id);
      if (row) return versionedSubmission(row);
      const receipt = await repo.receiptById(id);
      if (!receipt || receipt.filedWith === uow.tenant.slug) throw errors.notFound('submission');
      return { value: await forwardedView(uow, receipt), etag: etagOf(receipt.id, 1) };
    },

    async listSubmissions(uow: UnitOfWork, q: { state?: string; overdue?: boolean; limit: number; cursor?: string }) {
      authorize(uow.ctx, 'submissions:read');
      const rows = await uow.repo(onlineRepo).submissionPage({ state: q.state, overdue: q.overdue, afterId: afterId(q.cursor), limit: q.limit + 1 });
      return idPage(rows, q.limit, toSubmission);
    },

    /** Moves a submission on: audited and emitted; accepting a paid service needs the payment first. */
    async transition(uow: UnitOfWork, id: string, ifMatch: string | undefined, input: Transition) {
      authorize(uow.ctx, 'submissions:process');
      const repo = uow.repo(onlineRepo);
      const row = await repo.lockSubmission(id);
      if (!row) throw errors.notFound('submission');
      requireIfMatch(ifMatch, etagOf(row.id, row.rowVersion));
      const from = row.state as SubmissionStateName;
      if (!NEXT[from].includes(input.to)) {
        throw errors.conflict(`A submission in state ${from} can move to ${NEXT[from].join(' or ') || 'no other state'}, not ${input.to}`, { state: from });
      }
      if (input.to === 'rejected' && !input.reason) {
        throw errors.formInvalid('A rejection needs a reason', [{ path: '/reason', message: 'is required for rejected' }]);
      }
      if (input.to === 'accepted' && row.paymentRequired && row.paymentStatus !== 'paid') {
        throw errors.conflict(`The service requires payment; the payment is ${row.paymentStatus ?? 'not reported'}`, { payment: row.paymentStatus });
      }
      let decisionDocumentId: string | undefined;
      if (input.to === 'decided') {
        if (!input.decisionDocumentId) throw errors.formInvalid('A decision needs its document (Bescheid)', [{ path: '/decisionDocumentId', message: 'is required for decided' }]);
        const doc = await deps.decisionDocument(uow, row.caseId, input.decisionDocumentId);
        if (!doc) throw errors.formInvalid('The decision must be a document of the submission\'s case with content', [{ path: '/decisionDocumentId', message: 'is no document with content in the case' }]);
        decisionDocumentId = doc.id;
      }
      const after = await repo.updateSubmission(id, { state: input.to, stateReason: input.reason ?? null, stateAt: new Date(), ...(decisionDocumentId ? { decisionDocumentId } : {}) });
      await uow.audit.change(
        { action: 'submission.state-changed', objectType: 'submission', objectId: id, before: { state: from, stateReason: row.stateReason }, after: { state: input.to, stateReason: after.stateReason, ...(decisionDocumentId ? { decisionDocumentId } : {}) } },
        eventOf('submission.state-changed', id, { fileId: row.fileId, caseId: row.caseId }, { from, to: input.to, ...(input.reason ? { reason: input.reason } : {}) }),
      );
      return versionedSubmission(after);
    },

    /**
     * A payment report of ePayBL for a submission filed here. The same report twice changes nothing
     * (changed: false); a refunded payment stays refunded.
     */
    async applyPayment(uow: UnitOfWork, submission: { originTenant: string; portalId: string }, report: PaymentReport) {
      const repo = uow.repo(onlineRepo);
      const found = await repo.submissionOf(submission.originTenant, submission.portalId);
      const row = found && (await repo.lockSubmission(found.id));
      if (!row) throw errors.notFound('submission');
      const answer = { submissionId: report.submissionId, status: report.status, amountCents: report.amountCents, transactionReference: report.transactionReference };
      if (row.paymentStatus === report.status && row.paymentReference === report.transactionReference && row.paymentAmountCents === report.amountCents) {
        return { ...answer, changed: false };
      }
      if (row.paymentStatus === 'refunded') throw errors.conflict('The payment was refunded; a refunded payment does not change again');
      if (row.paymentStatus === 'paid' && report.status !== 'refunded') throw errors.conflict(`The submission is paid; only a refund can follow, not ${report.status}`);
      if (report.status === 'refunded' && row.paymentStatus !== 'paid') throw errors.conflict('Only a paid payment can be refunded');
      await repo.updateSubmission(row.id, { paymentStatus: report.status, paymentAmountCents: report.amountCents, paymentReference: report.transactionReference, paymentAt: new Date() });
      await uow.audit.change(
        {
          action: 'submission.payment-changed', objectType: 'submission', objectId: row.id,
          before: { paymentStatus: row.paymentStatus, paymentAmountCents: row.paymentAmountCents, paymentReference: row.paymentReference },
          after: { paymentStatus: report.status, paymentAmountCents: report.amountCents, paymentReference: report.transactionReference },
        },
        eventOf('submission.payment-changed', row.id, { fileId: row.fileId, caseId: row.caseId }, { status: report.status, amountCents: report.amountCents, transactionReference: report.transactionReference }),
      );
      return { ...answer, changed: true };
    },

    /** Flags submissions still received since before `before` (job: submissions.overdue). */
    async flagOverdue(uow: UnitOfWork, before: Date): Promise<number> {
      const repo = uow.repo(onlineRepo);
      let flagged = 0;
      for (const row of await repo.overdue(before, 500)) {
        const now = new Date();
        await repo.updateSubmission(row.id, { overdueAt: now });
        await uow.audit.append(
          { action: 'submission.overdue', objectType: 'submission', objectId: row.id, new: { state: row.state, since: row.stateAt.toISOString(), flaggedAt: now.toISOString() } },
          eventOf('submission.overdue', row.id, { fileId: row.fileId, caseId: row.caseId }, { since: row.stateAt.toISOString() }),
        );
        flagged++;
      }
      return flagged;
    },
  };
}

async function forwardedView(uow: UnitOfWork, r: ReceiptRow): Promise<ForwardedView> {
  const t = await uow.repo(onlineRepo).tenantBySlug(r.filedWith);
  return {
    id: r.id,
    submissionId: r.portalId,
    serviceKey: r.serviceKey,
    state: 'forwarded',
    forwardedTo: { tenant: r.filedWith, name: t?.name ?? r.filedWith },
    createdAt: r.createdAt.toISOString(),
  };
}

export type OnlineOps = ReturnType<typeof onlineOps>;
