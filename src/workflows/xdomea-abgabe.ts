import { uuidv7 } from 'uuidv7';
import { authorize, type Scope, type UnitOfWork } from '../core/index.js';
import { errors } from '../errors.js';
import type { FilePlanOps } from '../modules/file-plan/index.js';
import type { RecordsOps } from '../modules/records/index.js';
import {
  abgabeMessage, extensionOf, messageFileName, primaryFiles, produce, readRecords, receiveMessage, messageEntryName, openSafeZip, readEntry,
  writeZip, type AbgabeImport, type AbgabeWorkflows, type MappedCase, type MappedDocument, type OutFile, type XdomeaSettings, type ZipSource,
} from '../modules/xdomea/index.js';
import { BlobTooLargeError, type BlobStore } from '../storage/index.js';

/** Formats that are compressed already: stored in the container, not deflated again. */
const STORED = /^(application\/(pdf|zip|vnd\.openxmlformats|vnd\.oasis)|image\/(jpeg|png|tiff)|video\/|audio\/)/;

const MEDIA_BY_EXT: Record<string, string> = {
  pdf: 'application/pdf', txt: 'text/plain', html: 'text/html', htm: 'text/html', jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png',
  tif: 'image/tiff', tiff: 'image/tiff', xml: 'application/xml', rtf: 'application/rtf', odt: 'application/vnd.oasis.opendocument.text',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

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

/**
 * Abgabe (0401): a file with all its cases, documents and versions, out as a ZIP streamed from
 * storage, and in from any XDOMEA system as a new file under one of the receiver's plan units.
 */
export function xdomeaAbgabeWorkflows(deps: {
  scope: Scope; records: RecordsOps; filePlan: Pick<FilePlanOps, 'getUnit'>; storage: BlobStore; settings: XdomeaSettings; maxVersionBytes: number;
}): AbgabeWorkflows {
  const { scope, records, filePlan, storage, settings } = deps;

  /** Everything of a file the message lists, with the storage keys of its versions. */
  async function gather(uow: UnitOfWork, fileId: string) {
    authorize(uow.ctx, 'content:read');
    const file = (await records.getFile(uow, fileId)).value;
    const unit = (await filePlan.getUnit(uow, file.planUnitId)).value;
    const keys: { entry: string; key: string; mediaType: string }[] = [];
    const cases = await all((cursor) => records.listCases(uow, fileId, { limit: 200, cursor }));
    const out: OutFile = {
      id: file.id, title: file.title, reference: file.reference, planCode: file.planCode, planTitle: unit.title, confidentiality: file.confidentiality,
      leadOrgUnit: file.leadOrgUnit, description: file.description, createdAt: file.createdAt, closedOn: file.closedOn,
      history: [{ actor: file.createdBy, at: file.createdAt, action: 'Akte angelegt' }],
      cases: [],
    };
    for (const c of cases) {
      const docs = await all((cursor) => records.listDocuments(uow, c.id, { limit: 200, cursor }));
      const documents = [];
      for (const d of docs) {
        const versions = await all((cursor) => records.listVersions(uow, d.id, { limit: 200, cursor }));
        const outVersions = [];
        for (const v of versions) {
          const content = await records.contentOf(uow, d.id, v.number);
          const filename = `${uuidv7()}.${extensionOf(v.mediaType, v.filename)}`;
          keys.push({ entry: filename, key: content.storageKey, mediaType: v.mediaType });
          outVersions.push({ number: v.number, filename, originalName: v.filename, mediaType: v.mediaType, sha256: v.sha256, size: v.size, createdAt: v.createdAt, createdBy: v.uploadedBy });
        }
        documents.push({ id: d.id, title: d.title, versions: outVersions });
      }
      out.cases.push({ id: c.id, title: c.title, reference: c.reference, confidentiality: file.confidentiality, createdAt: c.createdAt, closedOn: c.closedOn, documents });
    }
    return { file: out, keys };
  }

  return {
    async exportAbgabe(ctx, fileId, q) {
      const processId = uuidv7();
      const { file, keys } = await scope(ctx, async (uow) => {
        const g = await gather(uow, fileId);
        await uow.audit.append({
          action: 'xdomea.exported', objectType: 'file', objectId: fileId,
          new: { messageType: '0401', version: q.version, processId, recipient: q.recipient ?? null, versions: g.keys.length },
        });
        return g;
      });
      const xml = produce(abgabeMessage({
        version: q.version, processId, messageId: uuidv7(), createdAt: new Date(),
        sender: { institution: `EN-Akte ${ctx.tenant.slug}` }, recipient: { institution: q.recipient ?? 'Empfänger der Abgabe' },
      }, file), q.version);
      const tenant = ctx.tenant.slug;
      const entries = [
        { name: messageFileName(q.version, processId, '0401', 'Abgabe.Abgabe', 'xml'), body: Buffer.from(xml) },
        ...keys.map((k) => ({ name: k.entry, body: () => storage.get(tenant, k.key), compress: !STORED.test(k.mediaType) })),
      ];
      return { filename: messageFileName(q.version, processId, '0401', 'Abgabe.Abgabe', 'zip'), body: writeZip(entries) };
    },

    async importAbgabe(ctx, body, q): Promise<AbgabeImport> {
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
        if (staged.size === 0) throw errors.badRequest('Send the 0401 container (application/zip) as the body');
        const source: ZipSource = { size: staged.size, read: (start, end) => storage.get(tenant, staging, { start, end: end - 1 }) };
        const zip = await openSafeZip(source, settings.zip);
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
          const confidentiality = ['001', '002', '003', '004', '005'].includes(g.confidentiality ?? '') ? (g.confidentiality as '003') : undefined;
          const result = await scope(ctx, async (uow) => {
            authorize(uow.ctx, 'xdomea:import');
            const file = await records.createFile(uow, { planCode: q.planCode, title: (g.title || 'Abgabe').slice(0, 500), ...(confidentiality ? { confidentiality } : {}), ...(g.leadOrgUnit ? { leadOrgUnit: g.leadOrgUnit.slice(0, 200) } : {}), ...(g.description ? { description: g.description.slice(0, 4000) } : {}) });
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
              new: { messageType: '0401', version: msg.version, processId: msg.head.processId, sender: msg.head.sender, sourceFile: handed[0]?.id ?? null, sourceReference: handed[0]?.reference ?? null },
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
