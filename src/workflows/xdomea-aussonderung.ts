import { Transform, type Readable } from 'node:stream';
import { uuidv7 } from 'uuidv7';
import { actorOf, authorize, jobContext, type RequestContext, type Scope, type TenantRef, type UnitOfWork } from '../core/index.js';
import { errors } from '../errors.js';
import { objectTrail } from '../modules/audit/index.js';
import type { FilePlanOps } from '../modules/file-plan/index.js';
import type { RecordFile, RecordsOps } from '../modules/records/index.js';
import {
  abgabeMessage, anbieteverzeichnisMessage, aussonderungMessage, exportRepo, extensionOf, messageBytes, messageEntryName, messageFileName,
  exportPrefix, openSafeZip, primaryFiles, produce, readEntry, readArchiveImportConfirmation, readEvaluations, readRecords, receiptMessage, receiveMessage, writeZip,
  XDOMEA_EXPORT_JOB_EXPIRY_SECONDS, XDOMEA_EXPORT_QUEUE, XDOMEA_EXPORT_STUCK_AFTER_MS, type AbgabeImport, type ArchiveMessageImport, type AussonderungFile, type AussonderungWorkflows, type ExportRow,
  type ExportStatus, type MappedCase, type MappedDocument, type XdomeaExportJob, type XdomeaSettings, type ZipSource,
} from '../modules/xdomea/index.js';
import { BlobTooLargeError, type BlobStore } from '../storage/index.js';

/** Formats that are compressed already: stored in the container, not deflated again. */
const STORED = /^(application\/(pdf|zip|vnd\.openxmlformats|vnd\.oasis)|image\/(jpeg|png|tiff)|video\/|audio\/)/;

const MEDIA_BY_EXT: Record<string, string> = {
  pdf: 'application/pdf', txt: 'text/plain', html: 'text/html', htm: 'text/html', jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png',
  tif: 'image/tiff', tiff: 'image/tiff', xml: 'application/xml', rtf: 'application/rtf', odt: 'application/vnd.oasis.opendocument.text',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** Most files in one 0501 or 0503. */
export const MAX_FILES_PER_MESSAGE = 1000;
/** Most bytes of a 0502/0504/0506/0507 (or the ZIP holding it). */
export const ARCHIVE_MESSAGE_MAX_BYTES = 16 * 1024 * 1024;
/** Progress is written at most this often while an export runs. */
const PROGRESS_EVERY_MS = 1000;

async function all<T>(page: (cursor?: string) => Promise<{ items: T[]; next: string | null }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const p = await page(cursor);
    out.push(...p.items);
    cursor = p.next ?? undefined;
  } while (cursor);
  return out;
}

const present = (r: ExportRow): ExportStatus => ({
  id: r.id,
  message: r.messageCode as '0401' | '0503',
  version: r.xdomeaVersion as '3.0.0' | '4.0.0',
  processId: r.processId,
  fileIds: r.fileIds,
  state: r.state as ExportStatus['state'],
  progress: { entriesDone: r.entriesDone, entriesTotal: r.entriesTotal, bytesDone: Number(r.bytesDone), bytesTotal: Number(r.bytesTotal) },
  filename: r.filename,
  size: r.resultSize === null ? null : Number(r.resultSize),
  sha256: r.resultSha256,
  error: r.error,
  createdAt: r.createdAt.toISOString(),
  createdBy: r.createdBy,
  startedAt: r.startedAt?.toISOString() ?? null,
  finishedAt: r.finishedAt?.toISOString() ?? null,
});

/** Deletes everything under an export's prefix: its container, or the part a crashed or withdrawn job wrote (idempotent). */
export async function removeExportObjects(storage: BlobStore, tenant: string, exportId: string, filename?: string | null): Promise<number> {
  const keys = new Set<string>();
  for await (const item of storage.list(tenant, exportPrefix(exportId))) keys.add(item.key);
  // The container's own key too: deleting it aborts the multipart upload a killed job left (no object to list).
  if (filename) keys.add(`${exportPrefix(exportId)}${filename}`);
  for (const key of keys) await storage.delete(tenant, key);
  return keys.size;
}

const SWEEP_BATCH = 100;

const dedupe = (ids: string[]) => [...new Set(ids.map((i) => i.toLowerCase()))];

/**
 * Aussonderung (0501–0507) with the archive, and XDOMEA exports as jobs: a 0503 of the files the
 * archive evaluated A (or a 0401 of one file) written entry by entry from storage through the ZIP
 * writer back into storage, with progress, a status resource and a download when done.
 */
export function xdomeaAussonderungWorkflows(deps: {
  scope: Scope; records: RecordsOps; filePlan: Pick<FilePlanOps, 'getUnit'>; storage: BlobStore; settings: XdomeaSettings; maxVersionBytes: number;
  /** Hours a done export keeps its container (XDOMEA_EXPORT_RETENTION_HOURS). */
  exportRetentionHours: number;
}): AussonderungWorkflows {
  const { scope, records, filePlan, storage, settings } = deps;

  /** Everything of a file a message lists (with the storage keys of its versions when `content`), its history from the audit trail and its retention. */
  async function gather(uow: UnitOfWork, file: RecordFile, content: boolean) {
    const unit = (await filePlan.getUnit(uow, file.planUnitId)).value;
    const keys: { entry: string; key: string; mediaType: string; size: number }[] = [];
    const trail = await objectTrail(uow, file.id);
    const out: AussonderungFile = {
      id: file.id, title: file.title, reference: file.reference, planCode: file.planCode, planTitle: unit.title, confidentiality: file.confidentiality,
      leadOrgUnit: file.leadOrgUnit, description: file.description, createdAt: file.createdAt, closedOn: file.closedOn,
      history: trail.length ? trail : [{ actor: file.createdBy, at: file.createdAt, action: 'file.created' }],
      retention: { retentionYears: file.retention?.retentionYears ?? null, disposal: file.retention?.disposalCode ?? null, retentionEndsOn: file.retention?.endsOn ?? null },
      cases: [],
    };
    const cases = await all((cursor) => records.listCases(uow, file.id, { limit: 200, cursor }));
    for (const c of cases) {
      const docs = await all((cursor) => records.listDocuments(uow, c.id, { limit: 200, cursor }));
      const documents = [];
      for (const d of docs) {
        const versions = content ? await all((cursor) => records.listVersions(uow, d.id, { limit: 200, cursor })) : [];
        const outVersions = [];
        for (const v of versions) {
          const stored = await records.contentOf(uow, d.id, v.number);
          // XDOMEA naming: a UUID of its own per primary file, never the document's.
          const filename = `${uuidv7()}.${extensionOf(v.mediaType, v.filename)}`;
          keys.push({ entry: filename, key: stored.storageKey, mediaType: v.mediaType, size: v.size });
          outVersions.push({ number: v.number, filename, originalName: v.filename, mediaType: v.mediaType, sha256: v.sha256, size: v.size, createdAt: v.createdAt, createdBy: v.uploadedBy });
        }
        documents.push({ id: d.id, title: d.title, versions: outVersions });
      }
      out.cases.push({ id: c.id, title: c.title, reference: c.reference, confidentiality: file.confidentiality, createdAt: c.createdAt, closedOn: c.closedOn, documents });
    }
    return { file: out, keys };
  }

  /** The files a 0502 or 0506 names, all of this tenant (a foreign or unknown id refuses the whole message). */
  async function namedFiles(uow: UnitOfWork, ids: string[]): Promise<Map<string, RecordFile>> {
    const found = new Map<string, RecordFile>();
    const unknown: string[] = [];
    for (const id of ids) {
      const exists = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id) && (await records.fileExists(uow, id));
      if (!exists) unknown.push(id);
      else found.set(id, (await records.getFile(uow, id)).value);
    }
    if (unknown.length) {
      throw errors.unprocessable(`The message names ${unknown.length} object(s) that are not files of this tenant: ${unknown.slice(0, 10).map((u) => u.slice(0, 40)).join(', ')}`);
    }
    return found;
  }

  async function receive(body: Buffer | undefined, codes: ('0502' | '0504' | '0506' | '0507')[]) {
    if (!body?.length) throw errors.badRequest(`Send the ${codes.join('/')} message (application/xml, or a ZIP holding it) as the body`);
    const { xml, zip } = await messageBytes(body, codes, ARCHIVE_MESSAGE_MAX_BYTES, settings.zip);
    zip?.close();
    return receiveMessage(xml, ARCHIVE_MESSAGE_MAX_BYTES, codes);
  }

  const head = (ctx: RequestContext, version: '3.0.0' | '4.0.0', processId: string, recipient: string) => ({
    version, processId, messageId: uuidv7(), createdAt: new Date(), sender: { institution: `EN-Akte ${ctx.tenant.slug}` }, recipient: { institution: recipient },
  });

  async function setProgress(ctx: RequestContext, id: string, changes: Parameters<ReturnType<typeof exportRepo>['update']>[1]) {
    await scope(ctx, (uow) => uow.repo(exportRepo).update(id, changes));
  }

  return {
    async offer(ctx, input) {
      const ids = dedupe(input.fileIds);
      const processId = uuidv7();
      return scope(ctx, async (uow) => {
        authorize(uow.ctx, 'disposal:manage');
        const files: AussonderungFile[] = [];
        for (const id of ids) {
          const offered = await records.offerForDisposal(uow, id, null);
          files.push((await gather(uow, offered.value, false)).file);
        }
        const msg = head(ctx, input.version, processId, input.recipient ?? 'Zuständiges Archiv');
        const xml = produce(anbieteverzeichnisMessage(msg, files), input.version);
        await uow.audit.append({
          action: 'xdomea.offered', objectType: 'xdomea-process', objectId: processId,
          new: { messageType: '0501', version: input.version, messageId: msg.messageId, recipient: msg.recipient.institution, fileIds: ids },
        });
        return { filename: messageFileName(input.version, processId, '0501', 'Aussonderung.Anbieteverzeichnis', 'xml'), xml, processId };
      });
    },

    async importEvaluation(ctx, body) {
      await scope(ctx, async (uow) => authorize(uow.ctx, 'disposal:manage'));
      const msg = await receive(body, ['0502']);
      let evaluations;
      try {
        evaluations = readEvaluations(msg.doc.root, msg.version);
      } finally {
        msg.doc.dispose();
      }
      for (const e of evaluations) {
        if (e.code !== 'A' && e.code !== 'V') {
          throw errors.unprocessable(`Object ${e.id.slice(0, 40)} (line ${e.line}) is evaluated ${JSON.stringify((e.code ?? e.configurable ?? '').slice(0, 40))}; the archive's decision must be A or V`);
        }
      }
      const ids = evaluations.map((e) => e.id);
      if (new Set(ids).size !== ids.length) throw errors.unprocessable('The message evaluates a file twice');
      const createdAt = msg.head.createdAt ? new Date(msg.head.createdAt) : new Date();
      const decidedAt = Number.isNaN(createdAt.getTime()) || createdAt.getTime() > Date.now() ? new Date() : createdAt;
      const sender = msg.head.sender ?? 'Archiv';
      const result = await scope(ctx, async (uow) => {
        authorize(uow.ctx, 'disposal:manage');
        const files = await namedFiles(uow, ids);
        const notOffered = [...files.values()].filter((f) => f.disposal?.state !== 'offered');
        if (notOffered.length) {
          throw errors.disposalOutOfOrder(`Recording the archive's decision (file ${notOffered[0]!.id} was not offered)`, notOffered[0]!.disposal?.state ?? null, ['offered']);
        }
        for (const e of evaluations) {
          await records.recordArchiveDecision(uow, e.id, null, { decision: e.code as 'A' | 'V', decidedBy: sender.slice(0, 200), decidedAt: decidedAt.toISOString() });
        }
        await uow.audit.append({
          action: 'xdomea.evaluated', objectType: 'xdomea-process', objectId: msg.head.processId,
          new: { messageType: '0502', version: msg.version, messageId: msg.head.messageId, sender, decisions: evaluations.map((e) => ({ fileId: e.id, decision: e.code })) },
        });
        return {
          version: msg.version, processId: msg.head.processId, sender: msg.head.sender,
          archived: evaluations.filter((e) => e.code === 'A').map((e) => e.id), destroyed: evaluations.filter((e) => e.code === 'V').map((e) => e.id),
        };
      });
      const processId = msg.head.processId ?? uuidv7();
      const xml = produce(receiptMessage(head(ctx, msg.version, processId, sender), '0505', msg.head.messageId ?? processId), msg.version);
      return { filename: messageFileName(msg.version, processId, '0505', 'Aussonderung.BewertungEmpfangBestaetigen', 'xml'), xml, result };
    },

    async requestExport(ctx, input) {
      return scope(ctx, async (uow) => {
        let ids: string[];
        if (input.message === '0401') {
          authorize(uow.ctx, 'content:read');
          if (input.fileIds?.length !== 1) throw errors.unprocessable('A 0401 Abgabe export names exactly one file in fileIds');
          ids = dedupe(input.fileIds);
          await records.getFile(uow, ids[0]!);
        } else {
          authorize(uow.ctx, 'disposal:manage');
          authorize(uow.ctx, 'content:read');
          if (input.fileIds?.length) {
            ids = dedupe(input.fileIds);
            for (const id of ids) {
              const f = (await records.getFile(uow, id)).value;
              if (f.disposal?.state !== 'evaluated' || f.disposal.decision !== 'A') {
                throw errors.disposalOutOfOrder(`The Aussonderung (0503) of file ${id}`, f.disposal?.state ?? null, ['evaluated with decision A']);
              }
            }
          } else {
            const evaluated = await all((cursor) => records.filesInDisposalState(uow, 'evaluated', { limit: 200, cursor }));
            ids = evaluated.filter((f) => f.disposal?.decision === 'A').map((f) => f.id);
            if (!ids.length) throw errors.disposalOutOfOrder('The Aussonderung (0503)', null, ['evaluated with decision A (no file is)']);
          }
          if (ids.length > MAX_FILES_PER_MESSAGE) throw errors.unprocessable(`At most ${MAX_FILES_PER_MESSAGE} files per 0503; name them in fileIds`);
        }
        const id = uuidv7();
        const row = await uow.repo(exportRepo).create({
          id, messageCode: input.message, xdomeaVersion: input.version, processId: uuidv7(), fileIds: ids, recipient: input.recipient ?? null, createdBy: actorOf(uow.ctx.caller),
        });
        const job: XdomeaExportJob = { exportId: id, tenant: ctx.tenant, caller: ctx.caller, grant: ctx.grant };
        await uow.jobs.send(XDOMEA_EXPORT_QUEUE, job, { retryLimit: 0, expireInSeconds: XDOMEA_EXPORT_JOB_EXPIRY_SECONDS });
        await uow.audit.append({
          action: 'xdomea.export-requested', objectType: 'xdomea-export', objectId: id,
          new: { messageType: input.message, version: input.version, processId: row.processId, fileIds: ids, recipient: input.recipient ?? null },
        });
        return present(row);
      });
    },

    async exportStatus(ctx, id) {
      return scope(ctx, async (uow) => {
        const row = await uow.repo(exportRepo).get(id);
        if (!row) throw errors.notFound('export');
        authorize(uow.ctx, row.messageCode === '0503' ? 'disposal:manage' : 'content:read');
        return present(row);
      });
    },

    async exportContent(ctx, id) {
      const row = await scope(ctx, async (uow) => {
        const r = await uow.repo(exportRepo).get(id);
        if (!r) throw errors.notFound('export');
        authorize(uow.ctx, r.messageCode === '0503' ? 'disposal:manage' : 'content:read');
        if (r.state === 'expired' || r.state === 'withdrawn') {
          throw errors.exportGone(r.state, r.state === 'expired'
            ? `The container was deleted ${deps.exportRetentionHours} hours after the export finished (XDOMEA_EXPORT_RETENTION_HOURS); request a new export`
            : 'A file the export held was destroyed, and the container with it');
        }
        if (r.state !== 'done' || !r.resultKey) throw errors.conflict(`The export is ${r.state}; its container can be fetched once it is done`, { state: r.state });
        await uow.audit.append({ action: 'xdomea.export-downloaded', objectType: 'xdomea-export', objectId: id, new: { messageType: r.messageCode, processId: r.processId } });
        return r;
      });
      return { filename: row.filename!, size: Number(row.resultSize), body: await storage.get(ctx.tenant.slug, row.resultKey!) };
    },

    async runExport(job) {
      const ctx: RequestContext = { tenant: job.tenant, caller: job.caller, grant: job.grant, requestId: null };
      const tenant = ctx.tenant.slug;
      const row = await scope(ctx, (uow) => uow.repo(exportRepo).get(job.exportId));
      // Only a queued export runs: one failed by the sweep, withdrawn, done or expired stays so.
      if (!row || row.state !== 'queued') return { skipped: true, state: row?.state ?? null };
      const version = row.xdomeaVersion as '3.0.0' | '4.0.0';
      const code = row.messageCode as '0401' | '0503';
      try {
        const started = await scope(ctx, (uow) => uow.repo(exportRepo).updateIn(row.id, ['queued'], { state: 'running', startedAt: new Date(), error: null }));
        if (!started) return { skipped: true };
        // Gather and write the message in one unit (the files as they are now), audit the export.
        const { xml, keys } = await scope(ctx, async (uow) => {
          authorize(uow.ctx, 'content:read');
          if (code === '0503') authorize(uow.ctx, 'disposal:manage');
          const files: AussonderungFile[] = [];
          const keys: { entry: string; key: string; mediaType: string; size: number }[] = [];
          for (const id of row.fileIds) {
            const f = (await records.getFile(uow, id)).value;
            if (code === '0503' && (f.disposal?.state !== 'evaluated' || f.disposal.decision !== 'A')) {
              throw errors.disposalOutOfOrder(`The Aussonderung (0503) of file ${id}`, f.disposal?.state ?? null, ['evaluated with decision A']);
            }
            const g = await gather(uow, f, true);
            files.push(g.file);
            keys.push(...g.keys);
          }
          const h = head(ctx, version, row.processId, row.recipient ?? (code === '0503' ? 'Zuständiges Archiv' : 'Empfänger der Abgabe'));
          const xml = code === '0503' ? produce(aussonderungMessage(h, files), version) : produce(abgabeMessage(h, files[0]!), version);
          await uow.audit.append({
            action: 'xdomea.exported', objectType: code === '0503' ? 'xdomea-process' : 'file', objectId: code === '0503' ? row.processId : row.fileIds[0]!,
            new: { messageType: code, version, processId: row.processId, messageId: h.messageId, recipient: h.recipient.institution, fileIds: row.fileIds, versions: keys.length, exportId: row.id },
          });
          return { xml, keys };
        });
        const name = code === '0503' ? 'Aussonderung.Aussonderung' : 'Abgabe.Abgabe';
        const filename = messageFileName(version, row.processId, code, name, 'zip');
        const message = Buffer.from(xml);
        let entriesDone = 1;
        let bytesDone = message.length;
        const bytesTotal = message.length + keys.reduce((n, k) => n + k.size, 0);
        await setProgress(ctx, row.id, { entriesTotal: keys.length + 1, entriesDone: 0, bytesTotal: BigInt(bytesTotal), bytesDone: 0n, filename });
        let last = Date.now();
        let progress: Promise<unknown> = Promise.resolve();
        const report = (force: boolean) => {
          if (!force && Date.now() - last < PROGRESS_EVERY_MS) return;
          last = Date.now();
          const snapshot = { entriesDone, bytesDone: BigInt(bytesDone) };
          progress = progress.then(() => setProgress(ctx, row.id, snapshot)).catch(() => undefined);
        };
        const counted = (s: Readable) => {
          const t = new Transform({
            transform(chunk: Buffer, _enc, cb) {
              bytesDone += chunk.length;
              report(false);
              cb(null, chunk);
            },
            flush(cb) {
              entriesDone++;
              report(true);
              cb();
            },
          });
          s.on('error', (e) => t.destroy(e));
          return s.pipe(t);
        };
        const entries = [
          { name: messageFileName(version, row.processId, code, name, 'xml'), body: message },
          ...keys.map((k) => ({ name: k.entry, body: async () => counted(await storage.get(tenant, k.key)), compress: !STORED.test(k.mediaType) })),
        ];
        const resultKey = `xdomea/exports/${row.id}/${filename}`;
        await storage.ensureBucket(tenant);
        const stored = await storage.put(tenant, resultKey, writeZip(entries), { contentType: 'application/zip', maxBytes: 2 ** 42 });
        await progress;
        // Withdrawn (a file destroyed) or failed by the sweep meanwhile: the container must not survive.
        const finished = await scope(ctx, (uow) => uow.repo(exportRepo).updateIn(row.id, ['running'], {
          state: 'done', entriesDone, bytesDone: BigInt(bytesDone), resultKey, resultSize: BigInt(stored.size), resultSha256: stored.sha256, finishedAt: new Date(),
        }));
        if (!finished) {
          await removeExportObjects(storage, tenant, row.id, filename);
          return { exportId: row.id, discarded: true };
        }
        return { exportId: row.id, size: stored.size, entries: entriesDone };
      } catch (err) {
        const detail = err instanceof Error ? err.message : String(err);
        await scope(ctx, (uow) => uow.repo(exportRepo).updateIn(row.id, ['queued', 'running'], { state: 'failed', error: detail.slice(0, 2000), finishedAt: new Date() }));
        await removeExportObjects(storage, tenant, row.id).catch(() => undefined);
        return { exportId: row.id, failed: detail.slice(0, 200) };
      }
    },

    async sweepExports(tenant: TenantRef, now = Date.now()) {
      const ctx = jobContext(tenant, 'sweeper');
      const out = { exportsExpired: 0, exportsFailed: 0 };
      // The objects go first: a storage failure leaves the row as it was, and the next sweep retries.
      for (;;) {
        const due = await scope(ctx, (uow) => uow.repo(exportRepo).doneBefore(new Date(now - deps.exportRetentionHours * 3600_000), SWEEP_BATCH));
        for (const r of due) {
          await removeExportObjects(storage, tenant.slug, r.id, r.filename);
          const n = await scope(ctx, async (uow) => {
            const changed = await uow.repo(exportRepo).updateIn(r.id, ['done'], { state: 'expired', resultKey: null });
            if (changed) {
              await uow.audit.append({ action: 'xdomea.export-expired', objectType: 'xdomea-export', objectId: r.id, new: { messageType: r.messageCode, processId: r.processId, retentionHours: deps.exportRetentionHours } });
            }
            return changed;
          });
          out.exportsExpired += n;
        }
        if (due.length < SWEEP_BATCH) break;
      }
      for (;;) {
        const stuck = await scope(ctx, (uow) => uow.repo(exportRepo).stuckBefore(new Date(now - XDOMEA_EXPORT_STUCK_AFTER_MS), SWEEP_BATCH));
        for (const r of stuck) {
          await removeExportObjects(storage, tenant.slug, r.id, r.filename);
          const error = `The export was ${r.state} longer than ${XDOMEA_EXPORT_STUCK_AFTER_MS / 3600_000} hours (twice its job's expiry): its worker stopped; request a new export`;
          const n = await scope(ctx, async (uow) => {
            const changed = await uow.repo(exportRepo).updateIn(r.id, ['queued', 'running'], { state: 'failed', error, resultKey: null, finishedAt: new Date(now) });
            if (changed) {
              await uow.audit.append({ action: 'xdomea.export-failed', objectType: 'xdomea-export', objectId: r.id, new: { messageType: r.messageCode, processId: r.processId, was: r.state, error } });
            }
            return changed;
          });
          out.exportsFailed += n;
        }
        if (stuck.length < SWEEP_BATCH) break;
      }
      return out;
    },

    async importArchiveMessage(ctx, body) {
      await scope(ctx, async (uow) => authorize(uow.ctx, 'disposal:manage'));
      const msg = await receive(body, ['0504', '0506', '0507']);
      let outcomes;
      try {
        outcomes = msg.code === '0506' ? readArchiveImportConfirmation(msg.doc.root, msg.version) : [];
      } finally {
        msg.doc.dispose();
      }
      const code = msg.code as '0504' | '0506' | '0507';
      const ids = outcomes.map((o) => o.id);
      if (new Set(ids).size !== ids.length) throw errors.unprocessable('The message names a file twice');
      return scope(ctx, async (uow) => {
        authorize(uow.ctx, 'disposal:manage');
        const files = await namedFiles(uow, ids);
        const result: ArchiveMessageImport = { message: code, version: msg.version, processId: msg.head.processId, sender: msg.head.sender, archived: [], failed: [] };
        for (const o of outcomes) {
          const f = files.get(o.id)!;
          if (f.disposal?.state !== 'evaluated' || f.disposal.decision !== 'A') {
            throw errors.disposalOutOfOrder(`Confirming the takeover of file ${o.id} (it was not handed over in a 0503)`, f.disposal?.state ?? null, ['evaluated with decision A']);
          }
          if (o.ok) {
            const archiveReference = (o.archiveReference?.trim() || `${msg.head.sender ?? 'Archiv'} ${msg.head.processId ?? ''}`.trim()).slice(0, 200);
            await records.confirmArchived(uow, o.id, null, { archiveReference, confirmedBy: (msg.head.sender ?? 'Archiv').slice(0, 200) });
            result.archived.push({ fileId: o.id, archiveReference });
          } else {
            const errs = (o.errors ?? []).map((e) => e.slice(0, 1000)).slice(0, 20);
            await uow.audit.append({
              action: 'xdomea.archive-import-failed', objectType: 'file', objectId: o.id,
              new: { messageType: '0506', version: msg.version, processId: msg.head.processId, sender: msg.head.sender, errors: errs },
            });
            result.failed.push({ fileId: o.id, errors: errs });
          }
        }
        await uow.audit.append({
          action: code === '0506' ? 'xdomea.import-confirmed' : 'xdomea.receipt', objectType: 'xdomea-process', objectId: msg.head.processId,
          new: { messageType: code, version: msg.version, messageId: msg.head.messageId, sender: msg.head.sender, archived: result.archived.length, failed: result.failed.length },
        });
        return result;
      });
    },

    async importAussonderung(ctx, body, q): Promise<AbgabeImport> {
      await scope(ctx, async (uow) => authorize(uow.ctx, 'xdomea:import'));
      const tenant = ctx.tenant.slug;
      await storage.ensureBucket(tenant);
      const staging = `xdomea/incoming/${uuidv7()}.zip`;
      const written: string[] = [];
      try {
        let staged: { size: number };
        try {
          staged = await storage.put(tenant, staging, body, { contentType: 'application/zip', maxBytes: settings.zip.maxTotalBytes });
        } catch (err) {
          if (err instanceof BlobTooLargeError) throw errors.payloadTooLarge(err.limit);
          throw err;
        }
        if (staged.size === 0) throw errors.badRequest('Send the 0503 container (application/zip) as the body');
        const source: ZipSource = { size: staged.size, read: (start, end) => storage.get(tenant, staging, { start, end: end - 1 }) };
        const zip = await openSafeZip(source, settings.zip);
        try {
          const entry = messageEntryName(zip, ['0503']);
          const msg = receiveMessage(await readEntry(zip, entry, settings.maxMessageBytes), settings.maxMessageBytes, ['0503']);
          let mapped;
          try {
            mapped = readRecords(msg.doc.root);
          } finally {
            msg.doc.dispose();
          }
          const names = new Set(zip.entries.map((e) => e.name));
          for (const p of primaryFiles(mapped)) {
            if (!names.has(p.filename)) throw errors.containerRejected(`The primary file ${p.filename.slice(0, 200)} the message names is not in the container`);
          }
          // The Akten handed over, else the context Akte with the Vorgänge handed over in it, else the loose Vorgänge and documents as one new file.
          type Group = { title: string; reference: string | null; cases: MappedCase[]; loose: MappedDocument[]; confidentiality: string | null; leadOrgUnit?: string | null; description?: string | null };
          const groups: Group[] = mapped.files.map((f) => ({ title: f.title, reference: f.reference, cases: f.cases, loose: f.documents, confidentiality: f.confidentiality, leadOrgUnit: f.leadOrgUnit, description: f.description }));
          if (mapped.cases.length || mapped.documents.length) {
            groups.push({ title: mapped.cases[0]?.title || mapped.documents[0]?.title || 'Aussonderung', reference: mapped.cases[0]?.reference ?? null, cases: mapped.cases, loose: mapped.documents, confidentiality: mapped.cases[0]?.confidentiality ?? null });
          }
          if (groups.length !== 1) throw errors.unprocessable(`The message hands over ${groups.length} files; EN-Akte imports one per message`);
          const g = groups[0]!;
          const confidentiality = ['001', '002', '003', '004', '005'].includes(g.confidentiality ?? '') ? (g.confidentiality as '003') : undefined;
          const result = await scope(ctx, async (uow) => {
            authorize(uow.ctx, 'xdomea:import');
            const file = await records.createFile(uow, { planCode: q.planCode, title: (g.title || 'Aussonderung').slice(0, 500), ...(confidentiality ? { confidentiality } : {}), ...(g.leadOrgUnit ? { leadOrgUnit: g.leadOrgUnit.slice(0, 200) } : {}), ...(g.description ? { description: g.description.slice(0, 4000) } : {}) });
            const cases = g.loose.length ? [...g.cases, { id: '', title: 'Dokumente ohne Vorgang', reference: null, confidentiality: null, documents: g.loose }] : g.cases;
            let documents = 0;
            let versions = 0;
            for (const c of cases) {
              const kase = await records.createCase(uow, file.value.id, { title: (c.title || 'Vorgang').slice(0, 500) });
              for (const d of c.documents) {
                const doc = await records.createDocument(uow, kase.value.id, { title: (d.title || 'Dokument').slice(0, 500), kind: 'other' as never });
                documents++;
                let etag = doc.etag;
                for (const v of d.versions) {
                  const upload = await records.prepareUpload(uow, doc.value.id, etag);
                  written.push(upload.key);
                  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(v.filename)?.[1]?.toLowerCase() ?? '';
                  const mediaType = MEDIA_BY_EXT[ext] ?? 'application/octet-stream';
                  let stored;
                  try {
                    stored = await storage.put(tenant, upload.key, await zip.open(v.filename), { contentType: mediaType, maxBytes: deps.maxVersionBytes });
                  } catch (err) {
                    if (err instanceof BlobTooLargeError) throw errors.payloadTooLarge(err.limit);
                    throw err;
                  }
                  if (v.sha256 && v.sha256 !== stored.sha256) {
                    throw errors.containerRejected(`The primary file ${v.filename.slice(0, 200)} does not match the SHA-256 the message states`);
                  }
                  const committed = await records.commitUpload(uow, upload, etag, {
                    size: stored.size, sha256: stored.sha256, mediaType, filename: (v.originalName ?? v.filename).slice(0, 255), checkin: false,
                  });
                  etag = committed.documentEtag;
                  versions++;
                }
              }
            }
            await uow.audit.append({
              action: 'xdomea.imported', objectType: 'file', objectId: file.value.id,
              new: { messageType: '0503', version: msg.version, processId: msg.head.processId, sender: msg.head.sender, sourceReference: g.reference },
            });
            return { fileId: file.value.id, reference: file.value.reference, cases: cases.length, documents, versions, version: msg.version, processId: msg.head.processId, sender: msg.head.sender };
          });
          written.length = 0;
          return result;
        } finally {
          zip.close();
        }
      } finally {
        // A rejected import leaves nothing: the staged container and any content stored for it go.
        for (const key of written) await storage.delete(tenant, key).catch(() => undefined);
        await storage.delete(tenant, staging).catch(() => undefined);
      }
    },
  };
}

