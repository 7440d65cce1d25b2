import { uuidv7 } from 'uuidv7';
import { actorOf, authorize, eventOf, type RequestContext, type Scope, type TenantRef, type UnitOfWork } from '../core/index.js';
import { isUniqueViolation } from '../db/tenant-tx.js';
import { errors } from '../errors.js';
import { afterId, idPage } from '../lib/cursor.js';
import { formatDate } from '../lib/dates.js';
import type { FilePlanOps } from '../modules/file-plan/index.js';
import { closeDate, type LockMode, type RecordsOps } from '../modules/records/index.js';
import {
  handoverRepo, importConfirmationMessage, messageFileName, produce, type Handover, type HandoverRow, type HandoverWorkflows, type XdomeaSettings,
  type XdomeaVersion, type ZipSource,
} from '../modules/xdomea/index.js';
import type { BlobStore } from '../storage/index.js';
import { lockContentAtClose } from './lifecycle.js';
import { abgabeContainer } from './xdomea-abgabe.js';
import { importContainer } from './xdomea-import.js';

export interface HandoverDeps {
  scope: Scope;
  records: RecordsOps;
  filePlan: Pick<FilePlanOps, 'getUnit' | 'unitForFiling'>;
  storage: BlobStore;
  settings: XdomeaSettings;
  maxVersionBytes: number;
  wormMode: (uow: UnitOfWork) => Promise<LockMode>;
  resolveTenant: (slug: string) => Promise<TenantRef & { active: boolean }>;
  tenantRefs: () => Promise<TenantRef[]>;
}

const institution = (slug: string) => `EN-Akte ${slug}`;

/**
 * The context in which one party's records manager acts for the hand-over in the other party's
 * tenant: the sender's file is closed on the recipient's acceptance, the refusal recorded at the
 * sender. Recorded as `xdomea-handover:<acting tenant>:<actor>`; it may do no more than the
 * records manager steps below (it reaches only the hand-over's own file).
 */
function partyContext(ctx: RequestContext, tenant: TenantRef): RequestContext {
  return {
    tenant,
    caller: { tenant: tenant.slug, subject: `xdomea-handover:${ctx.tenant.slug}:${actorOf(ctx.caller)}`, roles: ['records-manager'], clearance: '005' },
    grant: null,
    requestId: ctx.requestId,
  };
}

/**
 * In-service hand-over (Abgabe, a change of competence) from one tenant to another, e.g. a town
 * hands a Schwerbehindertenausweis file to the en-kreis tenant. The same 0401 as for any external
 * recipient, staged in the sender's bucket; the recipient imports it through the 0401 import path
 * (content stored outside any transaction, then one short unit) and answers with a 0402; then the
 * sender's file is closed with a note. Both sides' audit trails name the other tenant, the file
 * and the message ids. Row-level security shows a hand-over to exactly its two tenants.
 */
export function xdomeaHandoverWorkflows(deps: HandoverDeps): HandoverWorkflows {
  const { scope, records, storage } = deps;

  async function slugs(): Promise<Map<string, string>> {
    return new Map((await deps.tenantRefs()).map((t) => [t.id, t.slug]));
  }
  const refOf = async (id: string): Promise<TenantRef> => {
    const slug = (await slugs()).get(id);
    if (!slug) throw new Error(`tenant ${id} not in the directory`);
    return { id, slug };
  };

  function present(ctx: RequestContext, r: HandoverRow, names: Map<string, string>): Handover {
    return {
      id: r.id, state: r.state, direction: r.senderTenantId === ctx.tenant.id ? 'outgoing' : 'incoming',
      sender: names.get(r.senderTenantId) ?? '', recipient: names.get(r.recipientTenantId) ?? '',
      fileId: r.fileId, fileReference: r.fileReference, fileTitle: r.fileTitle, version: r.version as XdomeaVersion,
      processId: r.processId, messageId: r.messageId, note: r.note, createdBy: r.createdBy, createdAt: r.createdAt.toISOString(),
      decidedBy: r.decidedBy, decidedAt: r.decidedAt?.toISOString() ?? null, reason: r.reason, recipientFileId: r.recipientFileId,
      recipientReference: r.recipientReference, replyMessageId: r.replyMessageId, completedAt: r.completedAt?.toISOString() ?? null,
    };
  }

  /** A hand-over this tenant receives and has not decided on yet (404 unseen, 403 for the sender, 409 decided). */
  async function undecided(uow: UnitOfWork, id: string, lock = false): Promise<HandoverRow> {
    authorize(uow.ctx, 'xdomea:handover');
    const row = await uow.repo(handoverRepo).byId(id, lock);
    if (!row) throw errors.notFound('hand-over');
    if (row.recipientTenantId !== uow.tenant.id) throw errors.forbidden('Only the recipient tenant decides on a hand-over');
    if (row.state !== 'offered') throw errors.conflict(`The hand-over is ${row.state} already`);
    return row;
  }

  const reply = (row: HandoverRow, recipient: string, sender: string, ok: boolean, reasons: string[]) => {
    const replyMessageId = uuidv7();
    const version = row.version as XdomeaVersion;
    const xml = produce(importConfirmationMessage({
      version, processId: row.processId, messageId: replyMessageId, createdAt: new Date(),
      sender: { institution: institution(recipient) }, recipient: { institution: institution(sender) },
    }, row.messageId, [{ objectId: row.fileId, ok, errors: reasons }]), version);
    return { replyMessageId, xml };
  };

  /** The sender's side of an accepted hand-over: the note on the file, the file closed (zdA), the hand-over completed. */
  async function completeAtSender(ctx: RequestContext, row: HandoverRow, recipient: TenantRef, sender: TenantRef) {
    const sctx = partyContext(ctx, sender);
    const closedOn = closeDate(undefined);
    await scope(sctx, async (uow) => {
      const note = `Abgegeben an ${recipient.slug} am ${formatDate(closedOn)} (XDOMEA ${row.version} Abgabe 0401, Prozess ${row.processId}); dort ${row.recipientReference}${row.note ? `. ${row.note}` : ''}`;
      const current = await records.getFile(uow, row.fileId);
      const description = [current.value.description, note].filter(Boolean).join('\n\n').slice(-4000);
      const noted = await records.updateFile(uow, row.fileId, current.etag, { description });
      const file = await records.beginClose(uow, row.fileId, noted.etag);
      const casesClosed = await records.closeOpenCasesOfFile(uow, row.fileId, closedOn);
      await records.closeFile(uow, file, closedOn, casesClosed);
      const { row: closed, keys } = await records.contentOfClosedFile(uow, row.fileId);
      await lockContentAtClose(deps, uow, closed, keys);
      if (!(await uow.repo(handoverRepo).transition(row.id, 'accepted', { state: 'completed', completedAt: new Date() }))) {
        throw errors.conflict('The hand-over is not accepted');
      }
      await uow.audit.append(
        {
          action: 'xdomea.handed-over', objectType: 'file', objectId: row.fileId,
          new: {
            handoverId: row.id, recipient: recipient.slug, recipientFileId: row.recipientFileId, recipientReference: row.recipientReference,
            messageType: '0401', version: row.version, processId: row.processId, messageId: row.messageId, replyMessageType: '0402', replyMessageId: row.replyMessageId, note,
          },
        },
        eventOf('file.handed-over', row.fileId, {}, { reference: row.fileReference, recipient: recipient.slug, recipientReference: row.recipientReference!, handoverId: row.id, processId: row.processId }),
      );
    });
  }

  return {
    async start(ctx, fileId, input) {
      await scope(ctx, async (uow) => authorize(uow.ctx, 'xdomea:handover'));
      const version = input.version ?? '3.0.0';
      const recipient = await deps.resolveTenant(input.recipient).catch(() => null);
      if (!recipient || !recipient.active) throw errors.unprocessable(`There is no active tenant ${input.recipient} to hand the file over to`);
      if (recipient.id === ctx.tenant.id) throw errors.unprocessable('A file is handed over to another tenant, not to its own');
      const id = uuidv7();
      const processId = uuidv7();
      const messageId = uuidv7();
      const sender = ctx.tenant.slug;
      const check = async (uow: UnitOfWork) => {
        authorize(uow.ctx, 'xdomea:handover');
        const file = await records.getFile(uow, fileId);
        if (file.value.status === 'closed') throw errors.objectClosed('file');
        if (await uow.repo(handoverRepo).openForFile(fileId)) throw errors.conflict('The file has an open hand-over already');
        return file.value;
      };
      const out = await abgabeContainer(deps, ctx, fileId, { version, recipient: institution(recipient.slug), processId, messageId }, async (uow) => {
        await check(uow);
      });
      // The container is written to the sender's bucket with no transaction open.
      const key = `xdomea/handover/${id}/${messageFileName(version, processId, '0401', 'Abgabe.Abgabe', 'zip')}`;
      await storage.ensureBucket(sender);
      try {
        const staged = await storage.put(sender, key, out.body, { contentType: 'application/zip', maxBytes: deps.settings.zip.maxTotalBytes });
        const row = await scope(ctx, async (uow) => {
          const file = await check(uow);
          let created: HandoverRow;
          try {
            created = await uow.repo(handoverRepo).create({
              id, recipientTenantId: recipient.id, fileId, fileReference: file.reference, fileTitle: file.title.slice(0, 500), version, processId, messageId,
              containerKey: key, containerSize: BigInt(staged.size), note: input.note ?? null, createdBy: actorOf(uow.ctx.caller),
            });
          } catch (err) {
            if (isUniqueViolation(err)) throw errors.conflict('The file has an open hand-over already');
            throw err;
          }
          await uow.audit.append(
            { action: 'xdomea.handover-started', objectType: 'file', objectId: fileId, new: { handoverId: id, recipient: recipient.slug, messageType: '0401', version, processId, messageId, note: input.note ?? null } },
            eventOf('file.handover-offered', fileId, {}, { reference: file.reference, recipient: recipient.slug, handoverId: id, processId }),
          );
          return created;
        });
        // The recipient's trail records the arrival (the file is not its own yet: the hand-over is the object).
        await scope(partyContext(ctx, recipient), (uow) =>
          uow.audit.append({ action: 'xdomea.handover-received', objectType: 'xdomea-handover', objectId: id, new: { sender, sourceFile: fileId, sourceReference: row.fileReference, messageType: '0401', version, processId, messageId } }),
        );
        return present(ctx, row, await slugs());
      } catch (err) {
        await storage.delete(sender, key).catch(() => undefined);
        throw err;
      }
    },

    async list(ctx, q) {
      const rows = await scope(ctx, async (uow) => {
        authorize(uow.ctx, 'xdomea:handover');
        return uow.repo(handoverRepo).page({ direction: q.direction, state: q.state, afterId: afterId(q.cursor), limit: q.limit + 1 });
      });
      const names = await slugs();
      return idPage(rows, q.limit, (r) => present(ctx, r, names));
    },

    async get(ctx, id) {
      const row = await scope(ctx, async (uow) => {
        authorize(uow.ctx, 'xdomea:handover');
        return uow.repo(handoverRepo).byId(id);
      });
      if (!row) throw errors.notFound('hand-over');
      return present(ctx, row, await slugs());
    },

    async accept(ctx, id, input) {
      const row = await scope(ctx, async (uow) => {
        authorize(uow.ctx, 'xdomea:import');
        return undecided(uow, id);
      });
      const sender = await refOf(row.senderTenantId);
      const recipient = ctx.tenant;
      const answer = reply(row, recipient.slug, sender.slug, true, []);
      // The container is read where the sender staged it; the content goes to the recipient's bucket.
      const source: ZipSource = { size: Number(row.containerSize), read: (start, end) => storage.get(sender.slug, row.containerKey, { start, end: end - 1 }) };
      const imported = await importContainer(deps, ctx, source, input, async (uow, result) => {
        const decided = await uow.repo(handoverRepo).transition(id, 'offered', {
          state: 'accepted', decidedBy: actorOf(uow.ctx.caller), decidedAt: new Date(), recipientFileId: result.fileId, recipientReference: result.reference,
          replyMessageId: answer.replyMessageId, replyXml: answer.xml,
        });
        if (!decided) throw errors.conflict('The hand-over was decided meanwhile');
        await uow.audit.append({
          action: 'xdomea.handover-accepted', objectType: 'file', objectId: result.fileId,
          new: {
            handoverId: id, sender: sender.slug, sourceFile: row.fileId, sourceReference: row.fileReference, messageType: '0401', version: row.version,
            processId: row.processId, messageId: row.messageId, replyMessageType: '0402', replyMessageId: answer.replyMessageId, planCode: input.planCode,
          },
        });
      });
      const accepted: HandoverRow = { ...row, state: 'accepted', recipientFileId: imported.fileId, recipientReference: imported.reference, replyMessageId: answer.replyMessageId };
      try {
        await completeAtSender(ctx, accepted, recipient, sender);
        await storage.delete(sender.slug, row.containerKey).catch(() => undefined);
      } catch {
        // The import stands; the hand-over stays `accepted` (listed so) until the sender's file can be closed.
      }
      return this.get(ctx, id);
    },

    async refuse(ctx, id, input) {
      const row = await scope(ctx, (uow) => undecided(uow, id));
      const sender = await refOf(row.senderTenantId);
      const answer = reply(row, ctx.tenant.slug, sender.slug, false, [input.reason]);
      await scope(ctx, async (uow) => {
        await undecided(uow, id, true);
        await uow.repo(handoverRepo).transition(id, 'offered', {
          state: 'refused', decidedBy: actorOf(uow.ctx.caller), decidedAt: new Date(), reason: input.reason, replyMessageId: answer.replyMessageId, replyXml: answer.xml,
        });
        await uow.audit.append({
          action: 'xdomea.handover-refused', objectType: 'xdomea-handover', objectId: id,
          new: { sender: sender.slug, sourceFile: row.fileId, sourceReference: row.fileReference, messageId: row.messageId, processId: row.processId, replyMessageType: '0402', replyMessageId: answer.replyMessageId, reason: input.reason },
        });
      });
      await scope(partyContext(ctx, sender), (uow) =>
        uow.audit.append(
          { action: 'xdomea.handover-refused', objectType: 'file', objectId: row.fileId, new: { handoverId: id, recipient: ctx.tenant.slug, messageId: row.messageId, processId: row.processId, replyMessageType: '0402', replyMessageId: answer.replyMessageId, reason: input.reason } },
          eventOf('file.handover-refused', row.fileId, {}, { reference: row.fileReference, recipient: ctx.tenant.slug, handoverId: id, processId: row.processId }),
        ),
      );
      await storage.delete(sender.slug, row.containerKey).catch(() => undefined);
      return this.get(ctx, id);
    },

    async importConfirmation(ctx, id) {
      const row = await scope(ctx, async (uow) => {
        authorize(uow.ctx, 'xdomea:handover');
        return uow.repo(handoverRepo).byId(id);
      });
      if (!row) throw errors.notFound('hand-over');
      if (!row.replyXml || !row.replyMessageId) throw errors.conflict('The recipient has not decided yet; there is no 0402');
      return { xml: row.replyXml, filename: messageFileName(row.version as XdomeaVersion, row.processId, '0402', 'Abgabe.ImportBestaetigen', 'xml') };
    },
  };
}
