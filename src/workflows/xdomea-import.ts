import { uuidv7 } from 'uuidv7';
import { authorize, type RequestContext, type Scope, type UnitOfWork } from '../core/index.js';
import { errors } from '../errors.js';
import type { FilePlanOps } from '../modules/file-plan/index.js';
import type { PendingUpload, RecordsOps } from '../modules/records/index.js';
import {
  messageEntryName, openSafeZip, primaryFiles, readEntry, readRecords, receiveMessage, type AbgabeImport, type MappedCase, type MappedDocument,
  type XdomeaSettings, type ZipSource,
} from '../modules/xdomea/index.js';
import { BlobTooLargeError, type BlobStore, type PutResult } from '../storage/index.js';

const MEDIA_BY_EXT: Record<string, string> = {
  pdf: 'application/pdf', txt: 'text/plain', html: 'text/html', htm: 'text/html', jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png',
  tif: 'image/tiff', tiff: 'image/tiff', xml: 'application/xml', rtf: 'application/rtf', odt: 'application/vnd.oasis.opendocument.text',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export interface ContainerImportDeps {
  scope: Scope;
  records: RecordsOps;
  filePlan: Pick<FilePlanOps, 'unitForFiling'>;
  storage: BlobStore;
  settings: XdomeaSettings;
  maxVersionBytes: number;
}

/** What the message hands over, read and checked before anything is stored. */
interface Planned {
  title: string;
  confidentiality: string | null;
  leadOrgUnit?: string | null;
  description?: string | null;
  sourceFile: string | null;
  sourceReference: string | null;
  cases: { title: string; documents: { id: string; title: string; versions: { filename: string; name: string; mediaType: string; sha256: string | null; pending?: PendingUpload; stored?: PutResult }[] }[] }[];
}

/**
 * Imports a 0401 container as a new file of the caller's tenant, all or nothing, in three steps:
 * 1. the container is checked and the message validated and mapped (nothing written yet);
 * 2. every primary file is streamed from the container into storage (uploads reserved in a short
 *    unit first, so the upload sweeper collects them should the process die), each checked against
 *    the SHA-256 the message states; no transaction is open while bytes move;
 * 3. one short unit of work creates the file, cases, documents and versions, the audit event and
 *    whatever `inUnit` adds (the hand-over's decision), and commits.
 * A failure in any step removes what step 2 stored and ends its uploads: nothing half-written.
 */
export async function importContainer(
  deps: ContainerImportDeps,
  ctx: RequestContext,
  source: ZipSource,
  q: { planCode: string },
  inUnit?: (uow: UnitOfWork, result: AbgabeImport) => Promise<void>,
): Promise<AbgabeImport & { sourceFile: string | null; sourceReference: string | null }> {
  const { scope, records, storage, settings } = deps;
  const tenant = ctx.tenant.slug;
  const zip = await openSafeZip(source, settings.zip);
  const pending: PendingUpload[] = [];
  const stored: string[] = [];
  let committed = false;
  try {
    const entry = messageEntryName(zip, ['0401']);
    const msg = receiveMessage(await readEntry(zip, entry, settings.maxMessageBytes), settings.maxMessageBytes, ['0401']);
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
    // Files handed over (not context objects), or the Vorgänge and documents sent without an Akte as one new file.
    const handed = mapped.files.filter((f) => !f.context);
    const groups: { title: string; cases: MappedCase[]; loose: MappedDocument[]; confidentiality: string | null; leadOrgUnit?: string | null; description?: string | null }[] = [
      ...handed.map((f) => ({ title: f.title, cases: f.cases, loose: f.documents, confidentiality: f.confidentiality, leadOrgUnit: f.leadOrgUnit, description: f.description })),
      ...mapped.files.filter((f) => f.context).map((f) => ({ title: f.title, cases: f.cases, loose: f.documents, confidentiality: f.confidentiality, leadOrgUnit: f.leadOrgUnit, description: f.description })),
    ];
    if (mapped.cases.length || mapped.documents.length) {
      groups.push({ title: mapped.cases[0]?.title || mapped.documents[0]?.title || 'Abgabe', cases: mapped.cases, loose: mapped.documents, confidentiality: mapped.cases[0]?.confidentiality ?? null });
    }
    if (groups.length !== 1) throw errors.unprocessable(`The message hands over ${groups.length} files; EN-Akte imports one per message`);
    const g = groups[0]!;
    const cases = g.loose.length ? [...g.cases, { id: '', title: 'Dokumente ohne Vorgang', reference: null, confidentiality: null, documents: g.loose }] : g.cases;
    const plan: Planned = {
      title: (g.title || 'Abgabe').slice(0, 500), confidentiality: g.confidentiality, leadOrgUnit: g.leadOrgUnit, description: g.description,
      sourceFile: handed[0]?.id ?? null, sourceReference: handed[0]?.reference ?? null,
      cases: cases.map((c) => ({
        title: (c.title || 'Vorgang').slice(0, 500),
        documents: c.documents.map((d) => ({
          id: uuidv7(), title: (d.title || 'Dokument').slice(0, 500),
          versions: d.versions.map((v) => {
            const ext = /\.([A-Za-z0-9]{1,8})$/.exec(v.filename)?.[1]?.toLowerCase() ?? '';
            return { filename: v.filename, name: (v.originalName ?? v.filename).slice(0, 255), mediaType: MEDIA_BY_EXT[ext] ?? 'application/octet-stream', sha256: v.sha256 };
          }),
        })),
      })),
    };
    const all = plan.cases.flatMap((c) => c.documents.flatMap((d) => d.versions.map((v) => ({ d, v }))));

    // Before a byte is stored: may the caller import, and does the plan unit take files?
    await scope(ctx, async (uow) => {
      authorize(uow.ctx, 'xdomea:import');
      authorize(uow.ctx, 'records:write');
      await deps.filePlan.unitForFiling(uow, { planCode: q.planCode });
      for (const { d, v } of all) {
        v.pending = await records.reserveUpload(uow, d.id);
        pending.push(v.pending);
      }
    });
    await storage.ensureBucket(tenant);
    for (const { v } of all) {
      stored.push(v.pending!.key);
      let put: PutResult;
      try {
        put = await storage.put(tenant, v.pending!.key, await zip.open(v.filename), { contentType: v.mediaType, maxBytes: deps.maxVersionBytes });
      } catch (err) {
        if (err instanceof BlobTooLargeError) throw errors.payloadTooLarge(err.limit);
        throw err;
      }
      v.stored = put;
      if (v.sha256 && v.sha256 !== put.sha256) {
        throw errors.containerRejected(`The primary file ${v.filename.slice(0, 200)} does not match the SHA-256 the message states`);
      }
    }

    const confidentiality = ['001', '002', '003', '004', '005'].includes(plan.confidentiality ?? '') ? (plan.confidentiality as '003') : undefined;
    const result = await scope(ctx, async (uow) => {
      authorize(uow.ctx, 'xdomea:import');
      const file = await records.createFile(uow, {
        planCode: q.planCode, title: plan.title, ...(confidentiality ? { confidentiality } : {}),
        ...(plan.leadOrgUnit ? { leadOrgUnit: plan.leadOrgUnit.slice(0, 200) } : {}), ...(plan.description ? { description: plan.description.slice(0, 4000) } : {}),
      });
      let documents = 0;
      let versions = 0;
      for (const c of plan.cases) {
        const kase = await records.createCase(uow, file.value.id, { title: c.title });
        for (const d of c.documents) {
          const doc = await records.createDocument(uow, kase.value.id, { title: d.title, kind: 'other' as never }, d.id);
          documents++;
          let etag = doc.etag;
          for (const v of d.versions) {
            const version = await records.commitUpload(uow, v.pending!, etag, { ...v.stored!, mediaType: v.mediaType, filename: v.name, checkin: false });
            etag = version.documentEtag;
            versions++;
          }
        }
      }
      await uow.audit.append({
        action: 'xdomea.imported', objectType: 'file', objectId: file.value.id,
        new: { messageType: '0401', version: msg.version, processId: msg.head.processId, messageId: msg.head.messageId, sender: msg.head.sender, sourceFile: plan.sourceFile, sourceReference: plan.sourceReference },
      });
      const out: AbgabeImport = { fileId: file.value.id, reference: file.value.reference, cases: plan.cases.length, documents, versions, version: msg.version, processId: msg.head.processId, sender: msg.head.sender };
      if (inUnit) await inUnit(uow, out);
      return out;
    });
    committed = true;
    return { ...result, sourceFile: plan.sourceFile, sourceReference: plan.sourceReference };
  } finally {
    zip.close();
    if (!committed) {
      // A refused import leaves nothing: the content stored for it goes, its uploads end.
      for (const key of stored) await storage.delete(tenant, key).catch(() => undefined);
      if (pending.length) {
        await scope(ctx, async (uow) => {
          for (const p of pending) await records.endUpload(uow, p.uploadId, 'removed');
        }).catch(() => undefined);
      }
    }
  }
}
