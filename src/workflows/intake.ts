import { Readable } from 'node:stream';
import { uuidv7 } from 'uuidv7';
import { authorize, type RequestContext, type Scope, type TenantRef, type UnitOfWork } from '../core/index.js';
import { isUniqueViolation } from '../db/tenant-tx.js';
import { errors } from '../errors.js';
import { today } from '../lib/dates.js';
import {
  canonicalHash,
  renderForm,
  renderTitle,
  sha256Hex,
  statusTokenOf,
  validateForm,
  type IntakeAnswer,
  type IntakeOps,
  type OnlineOps,
  type PaymentReport,
  type SubmissionInput,
} from '../modules/online/index.js';
import type { PendingUpload, RecordsOps } from '../modules/records/index.js';
import { BlobTooLargeError, type BlobStore } from '../storage/index.js';

/** A file part of the multipart body, in the order it arrives. */
export interface IncomingPart {
  field: string;
  stream: Readable;
}

export interface IntakeDeps {
  scope: Scope;
  records: RecordsOps;
  intake: IntakeOps;
  storage: BlobStore;
  unitForFiling(uow: UnitOfWork, ref: { planCode: string }): Promise<{ id: string; code: string }>;
  resolveTenant(slug: string): Promise<TenantRef & { active: boolean }>;
  /** Key of the status tokens' HMAC. */
  tokenKey: Buffer;
  statusTokenTtlDays: number;
  publicUrl: string;
  maxBytes: number;
}

interface Content {
  documentId: string;
  title: string;
  kind: 'application' | 'form' | 'other';
  filename: string;
  mediaType: string;
  pending?: PendingUpload;
  stored?: { size: number; sha256: string };
}

/**
 * The context the intake files in: the competent tenant, acting as the intake client of the tenant
 * the portal called (`clerk` for the records it creates, nothing else).
 */
function filingContext(ctx: RequestContext, tenant: TenantRef): RequestContext {
  const c = ctx.caller;
  return {
    tenant,
    caller: { tenant: tenant.slug, subject: `intake:${ctx.tenant.slug}:${c.subject}`, clientId: c.clientId ? `${ctx.tenant.slug}/${c.clientId}` : undefined, roles: ['clerk'], clearance: '003' },
    grant: null,
    requestId: ctx.requestId,
  };
}

/**
 * Files a submission from the portal: checks it against the service and its form, streams the
 * attachments to storage while hashing them (each must match its declared SHA-256), then creates
 * the file or case, the documents (form data as JSON and as text, one per attachment), the
 * submission and its event in one unit of work in the competent tenant. A submission the town
 * forwards (Schwerbehindertenausweis → en-kreis) leaves the town a receipt of where it went.
 * Idempotent on the portal's submission id: the same body answers as before, another is refused.
 */
export function intakeWorkflow(deps: IntakeDeps) {
  const { scope, records, intake, storage } = deps;

  async function discard(ctx: RequestContext, contents: Content[]) {
    for (const c of contents) {
      if (!c.pending) continue;
      try {
        await storage.delete(ctx.tenant.slug, c.pending.key);
        await scope(ctx, (uow) => records.endUpload(uow, c.pending!.uploadId, 'removed'));
      } catch {
        await scope(ctx, (uow) => records.endUpload(uow, c.pending!.uploadId, 'failed')).catch(() => undefined);
      }
    }
  }

  async function answer(ctx: RequestContext, id: string, portalId: string, state: IntakeAnswer['state'], filedWith: TenantRef): Promise<IntakeAnswer> {
    const t = await scope(ctx, (uow) => intake.tenant(uow, filedWith.slug));
    const statusToken = statusTokenOf(deps.tokenKey, id);
    return {
      id,
      submissionId: portalId,
      state,
      filedWith: { tenant: filedWith.slug, name: t?.name ?? filedWith.slug },
      forwarded: filedWith.slug !== ctx.tenant.slug,
      statusToken,
      statusUrl: `${deps.publicUrl.replace(/\/$/, '')}/v1/status/${statusToken}`,
    };
  }

  async function drain(nextPart: () => Promise<IncomingPart | null>) {
    for (let p = await nextPart(); p; p = await nextPart()) p.stream.resume();
  }

  return async (ctx: RequestContext, sub: SubmissionInput, nextPart: () => Promise<IncomingPart | null>): Promise<{ status: 200 | 201; body: IntakeAnswer }> => {
    authorize(ctx, 'submissions:submit');
    const bodyHash = canonicalHash(sub);
    const arrival = await scope(ctx, (uow) => intake.arrival(uow, sub.serviceKey, sub.submissionId));

    // A retry: the same body answers as the first time; a different one is refused.
    if (arrival.receipt) {
      if (arrival.receipt.bodyHash !== bodyHash) throw errors.submissionIdReused(sub.submissionId);
      await drain(nextPart);
      const filedWith = await deps.resolveTenant(arrival.receipt.filedWith);
      const row = await scope(filingContext(ctx, filedWith), (uow) => intake.byId(uow, arrival.receipt!.id));
      return { status: 200, body: await answer(ctx, arrival.receipt.id, sub.submissionId, (row?.state ?? 'received') as IntakeAnswer['state'], filedWith) };
    }
    const offered = arrival.service;
    if (!offered || !offered.active) {
      throw errors.formInvalid(`${ctx.tenant.slug} does not offer service ${sub.serviceKey} online${offered ? ' (switched off)' : ''}`, [{ path: '/serviceKey', message: offered ? 'is switched off' : 'is not offered by this tenant' }]);
    }
    const competent = offered.competentTenant ? await deps.resolveTenant(offered.competentTenant) : ctx.tenant;
    if ('active' in competent && !competent.active) {
      throw errors.formInvalid(`The competent authority (${competent.slug}) does not take part in the shared service`, [{ path: '/serviceKey', message: 'has no active competent tenant' }]);
    }
    const fctx = filingContext(ctx, competent);
    const service = competent.slug === ctx.tenant.slug ? offered : await scope(fctx, (uow) => intake.competentService(uow, sub.serviceKey));
    validateForm(service.formSchema as object, sub.formData);
    const declared = sub.attachments ?? [];
    const parts = new Set<string>();
    declared.forEach((a, i) => {
      if (parts.has(a.part)) throw errors.formInvalid('Each attachment has its own part', [{ path: `/attachments/${i}/part`, message: 'is used twice' }]);
      parts.add(a.part);
    });

    const year = new Date(sub.submittedAt).getUTCFullYear();
    const caseTitle = renderTitle(service.caseTitle, sub.formData, year);
    const receivedLine = `Eingegangen über das Online-Portal am ${sub.submittedAt} (Vorgangsnummer des Portals ${sub.submissionId})`;
    const formJson = Buffer.from(`${JSON.stringify({ serviceKey: sub.serviceKey, submissionId: sub.submissionId, submittedAt: sub.submittedAt, applicant: sub.applicant, formData: sub.formData }, null, 2)}\n`);
    const formText = Buffer.from(renderForm(service.formSchema as Record<string, unknown>, sub.formData, [service.title, receivedLine, `Antragsteller: ${sub.applicant.name}`]));
    const contents: Content[] = [
      { documentId: uuidv7(), title: `${service.title}: Antragsdaten`, kind: 'application', filename: 'antrag.json', mediaType: 'application/json' },
      { documentId: uuidv7(), title: `${service.title}: Antrag (lesbar)`, kind: 'form', filename: 'antrag.txt', mediaType: 'text/plain; charset=utf-8' },
      ...declared.map((a) => ({ documentId: uuidv7(), title: a.title, kind: 'other' as const, filename: a.filename, mediaType: a.mediaType })),
    ];

    // Storage first, no transaction open: each object is recorded as an upload, so the sweeper
    // collects what a crash leaves.
    try {
      await storage.ensureBucket(competent.slug);
      const pending = await scope(fctx, async (uow) => Promise.all(contents.map((c) => records.reserveUpload(uow, c.documentId))));
      contents.forEach((c, i) => (c.pending = pending[i]));
      const put = async (c: Content, body: AsyncIterable<Uint8Array>) => {
        c.stored = await storage.put(competent.slug, c.pending!.key, body, { contentType: c.mediaType, maxBytes: deps.maxBytes });
      };
      await put(contents[0]!, Readable.from([formJson]));
      await put(contents[1]!, Readable.from([formText]));
      for (const [i, a] of declared.entries()) {
        const part = await nextPart();
        if (!part || part.field !== a.part) {
          part?.stream.resume();
          throw errors.formInvalid(`Attachment ${i} must follow as the file part "${a.part}"`, [{ path: `/attachments/${i}/part`, message: part ? `the next file part is "${part.field}"` : 'has no file part' }]);
        }
        await put(contents[i + 2]!, part.stream);
        if (contents[i + 2]!.stored!.sha256 !== a.sha256) {
          throw errors.formInvalid('An attachment differs from its declared SHA-256; nothing was stored', [{ path: `/attachments/${i}/sha256`, message: `the received content has SHA-256 ${contents[i + 2]!.stored!.sha256}` }]);
        }
      }
      const extra = await nextPart();
      if (extra) {
        extra.stream.resume();
        throw errors.formInvalid('The body has a file part no attachment declares', [{ path: '/attachments', message: `declares no part "${extra.field}"` }]);
      }
    } catch (err) {
      await discard(fctx, contents);
      if (err instanceof BlobTooLargeError) throw errors.payloadTooLarge(err.limit);
      throw err;
    }

    // One unit of work in the competent tenant: file or case, documents, versions, submission, event.
    const id = uuidv7();
    let filed: { id: string; state: string; created: boolean };
    try {
      filed = await scope(fctx, async (uow) => {
        const before = await intake.existing(uow, ctx.tenant.slug, sub.submissionId);
        if (before) {
          // Filed by an earlier attempt whose receipt in the town did not commit.
          if (before.bodyHash !== bodyHash) throw errors.submissionIdReused(sub.submissionId);
          return { id: before.id, state: before.state, created: false };
        }
        const metadata = { channel: 'online', serviceKey: sub.serviceKey, portalSubmissionId: sub.submissionId, submissionId: id };
        let fileId: string;
        if (service.filing === 'case-in-running-file') {
          const title = renderTitle(service.runningFileTitle ?? `${service.title} {yyyy}`, sub.formData, year);
          const unit = await deps.unitForFiling(uow, { planCode: service.planCode });
          await intake.lockRunningFile(uow, title);
          const open = await records.listFiles(uow, { planUnitId: unit.id, status: 'open', titlePrefix: title.slice(0, 200), limit: 50 });
          fileId = open.items.find((f) => f.title === title)?.id ?? (await records.createFile(uow, { planCode: service.planCode, title, metadata: { channel: 'online', serviceKey: sub.serviceKey } })).value.id;
        } else {
          fileId = (await records.createFile(uow, { planCode: service.planCode, title: caseTitle, metadata })).value.id;
        }
        const kase = await records.createCase(uow, fileId, { title: caseTitle, metadata });
        for (const c of contents) {
          const doc = await records.createDocument(uow, kase.value.id, { title: c.title.slice(0, 500), kind: c.kind as never /* DocumentKind's static type is lost in its mapped union */, receivedOn: today(), sender: sub.applicant.name, metadata: { submissionId: id } }, c.documentId);
          await records.commitUpload(uow, c.pending!, doc.etag, { ...c.stored!, mediaType: c.mediaType, filename: c.filename, checkin: false });
        }
        const row = await intake.record(
          uow,
          {
            id,
            originTenant: ctx.tenant.slug,
            portalId: sub.submissionId,
            serviceKey: sub.serviceKey,
            serviceTitle: service.title,
            bodyHash,
            accountId: sub.accountId ?? null,
            submittedAt: new Date(sub.submittedAt),
            fileId,
            caseId: kase.value.id,
            formDocumentId: contents[0]!.documentId,
            paymentRequired: service.paymentRequired,
            paymentStatus: sub.payment?.status ?? null,
            paymentAmountCents: sub.payment?.amountCents ?? null,
            paymentReference: sub.payment?.transactionReference ?? null,
            paymentAt: sub.payment ? new Date() : null,
            createdBy: `client:${fctx.caller.clientId ?? fctx.caller.subject}`,
          },
          {
            tokenHash: sha256Hex(statusTokenOf(deps.tokenKey, id)),
            accountHash: sub.accountId ? sha256Hex(sub.accountId) : null,
            expiresAt: new Date(Date.now() + deps.statusTokenTtlDays * 86_400_000),
          },
        );
        return { id: row.id, state: row.state, created: true };
      });
    } catch (err) {
      await discard(fctx, contents);
      // The same submission filed at this moment by a parallel request: its unit won.
      if (isUniqueViolation(err)) throw errors.conflict('This submission is being filed by a parallel request; retry to get its answer');
      throw err;
    }
    if (!filed.created) await discard(fctx, contents);
    if (competent.slug !== ctx.tenant.slug) {
      await scope(ctx, (uow) =>
        intake.recordForward(uow, { id: filed.id, portalId: sub.submissionId, serviceKey: sub.serviceKey, bodyHash, filedWith: competent.slug, createdBy: `client:${ctx.caller.clientId ?? ctx.caller.subject}` }),
      );
    }
    return { status: filed.created ? 201 : 200, body: await answer(ctx, filed.id, sub.submissionId, filed.state as IntakeAnswer['state'], competent) };
  };
}

export type IntakeWorkflow = ReturnType<typeof intakeWorkflow>;

/**
 * A payment report of ePayBL, sent to the tenant the portal sent the submission to; applied where
 * the submission is filed (the competent tenant), in one unit there.
 */
export function paymentWorkflow(deps: {
  scope: Scope;
  resolveTenant(slug: string): Promise<TenantRef & { active: boolean }>;
  receiptOf(uow: UnitOfWork, portalId: string): Promise<{ filedWith: string } | null>;
  apply: OnlineOps['applyPayment'];
}) {
  return async (ctx: RequestContext, report: PaymentReport) => {
    authorize(ctx, 'payments:report');
    const receipt = await deps.scope(ctx, (uow) => deps.receiptOf(uow, report.submissionId));
    if (!receipt) throw errors.notFound('submission');
    const competent = receipt.filedWith === ctx.tenant.slug ? ctx.tenant : await deps.resolveTenant(receipt.filedWith);
    return deps.scope(filingContext(ctx, competent), (uow) => deps.apply(uow, { originTenant: ctx.tenant.slug, portalId: report.submissionId }, report));
  };
}
