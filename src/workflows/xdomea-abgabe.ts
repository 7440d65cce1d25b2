import { uuidv7 } from 'uuidv7';
import { authorize, type RequestContext, type Scope, type UnitOfWork } from '../core/index.js';
import { importContainer } from './xdomea-import.js';
import { errors } from '../errors.js';
import type { FilePlanOps } from '../modules/file-plan/index.js';
import type { RecordsOps } from '../modules/records/index.js';
import {
  abgabeMessage, extensionOf, messageFileName, produce, writeZip, type AbgabeImport, type AbgabeWorkflows, type OutFile, type XdomeaSettings, type XdomeaVersion, type ZipSource,
} from '../modules/xdomea/index.js';
import { BlobTooLargeError, type BlobStore } from '../storage/index.js';

/** Formats that are compressed already: stored in the container, not deflated again. */
const STORED = /^(application\/(pdf|zip|vnd\.openxmlformats|vnd\.oasis)|image\/(jpeg|png|tiff)|video\/|audio\/)/;


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

/** Everything of a file a 0401 lists, with the storage keys of its versions. */
export async function gatherFile(deps: { records: RecordsOps; filePlan: Pick<FilePlanOps, 'getUnit'> }, uow: UnitOfWork, fileId: string) {
  const { records, filePlan } = deps;
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

/**
 * A 0401 container of a file: gathered in a short unit of work (where `inUnit` adds what the caller
 * records, e.g. the export's audit event), then the message produced (validated against its
 * schema) and the ZIP streamed from storage, entry by entry, with no transaction open.
 */
export async function abgabeContainer(
  deps: { scope: Scope; records: RecordsOps; filePlan: Pick<FilePlanOps, 'getUnit'>; storage: BlobStore },
  ctx: RequestContext,
  fileId: string,
  q: { version: XdomeaVersion; recipient: string; processId: string; messageId: string },
  inUnit?: (uow: UnitOfWork, file: OutFile, versions: number) => Promise<void>,
) {
  const { file, keys } = await deps.scope(ctx, async (uow) => {
    const g = await gatherFile(deps, uow, fileId);
    if (inUnit) await inUnit(uow, g.file, g.keys.length);
    return g;
  });
  const xml = produce(abgabeMessage({
    version: q.version, processId: q.processId, messageId: q.messageId, createdAt: new Date(),
    sender: { institution: `EN-Akte ${ctx.tenant.slug}` }, recipient: { institution: q.recipient },
  }, file), q.version);
  const tenant = ctx.tenant.slug;
  const entries = [
    { name: messageFileName(q.version, q.processId, '0401', 'Abgabe.Abgabe', 'xml'), body: Buffer.from(xml) },
    ...keys.map((k) => ({ name: k.entry, body: () => deps.storage.get(tenant, k.key), compress: !STORED.test(k.mediaType) })),
  ];
  return { file, filename: messageFileName(q.version, q.processId, '0401', 'Abgabe.Abgabe', 'zip'), body: writeZip(entries) };
}

/**
 * Abgabe (0401): a file with all its cases, documents and versions, out as a ZIP streamed from
 * storage, and in from any XDOMEA system as a new file under one of the receiver's plan units.
 */
export function xdomeaAbgabeWorkflows(deps: {
  scope: Scope; records: RecordsOps; filePlan: Pick<FilePlanOps, 'getUnit' | 'unitForFiling'>; storage: BlobStore; settings: XdomeaSettings; maxVersionBytes: number;
}): AbgabeWorkflows {
  const { scope, storage, settings } = deps;

  return {
    async exportAbgabe(ctx, fileId, q) {
      const processId = uuidv7();
      const out = await abgabeContainer(deps, ctx, fileId, { version: q.version, recipient: q.recipient ?? 'Empfänger der Abgabe', processId, messageId: uuidv7() }, async (uow, _file, versions) => {
        await uow.audit.append({
          action: 'xdomea.exported', objectType: 'file', objectId: fileId,
          new: { messageType: '0401', version: q.version, processId, recipient: q.recipient ?? null, versions },
        });
      });
      return { filename: out.filename, body: out.body };
    },

    async importAbgabe(ctx, body, q): Promise<AbgabeImport> {
      await scope(ctx, async (uow) => authorize(uow.ctx, 'xdomea:import'));
      const tenant = ctx.tenant.slug;
      await storage.ensureBucket(tenant);
      // The container is staged as it arrives (no transaction open), then read from there entry by entry.
      const staging = `xdomea/incoming/${uuidv7()}.zip`;
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
        const { sourceFile: _f, sourceReference: _r, ...result } = await importContainer(deps, ctx, source, q);
        return result;
      } finally {
        await storage.delete(tenant, staging).catch(() => undefined);
      }
    },
  };
}
