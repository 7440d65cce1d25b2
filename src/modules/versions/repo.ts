import type { Tx } from '../../db/tenant-tx.js';
import type { DocumentVersion as VersionRow } from '../../generated/prisma/client.js';

export type { VersionRow };

export interface NewVersion {
  id: string;
  tenantId: string;
  documentId: string;
  number: number;
  storageKey: string;
  size: bigint;
  sha256: string;
  mediaType: string;
  filename: string;
  uploadedBy: string;
}

export const versionRepo = {
  create: (tx: Tx, v: NewVersion) => tx.documentVersion.create({ data: v }),

  find: (tx: Tx, tenantId: string, documentId: string, number: number) =>
    tx.documentVersion.findFirst({ where: { tenantId, documentId, number } }),

  page: (tx: Tx, tenantId: string, documentId: string, q: { afterNumber?: number; limit: number }) =>
    tx.documentVersion.findMany({
      where: { tenantId, documentId, number: q.afterNumber ? { gt: q.afterNumber } : undefined },
      orderBy: { number: 'asc' },
      take: q.limit,
    }),

  /** Records an upload before its first byte is stored, so a crash leaves a findable leftover. */
  startUpload: (tx: Tx, u: { id: string; tenantId: string; documentId: string; storageKey: string }) =>
    tx.versionUpload.create({ data: u }),

  /** Removes the upload record; false when the sweeper already collected it. */
  async finishUpload(tx: Tx, tenantId: string, id: string): Promise<boolean> {
    const { count } = await tx.versionUpload.deleteMany({ where: { tenantId, id } });
    return count === 1;
  },

  markUploadFailed: (tx: Tx, tenantId: string, id: string) =>
    tx.versionUpload.updateMany({ where: { tenantId, id }, data: { state: 'failed' } }),

  staleUploads: (tx: Tx, tenantId: string, q: { startedBefore: Date; failedBefore: Date; limit: number }) =>
    tx.versionUpload.findMany({
      where: {
        tenantId,
        OR: [{ createdAt: { lt: q.startedBefore } }, { state: 'failed', createdAt: { lt: q.failedBefore } }],
      },
      take: q.limit,
    }),

  /** Which of these storage keys belong to a version or a running upload. */
  async knownKeys(tx: Tx, tenantId: string, keys: string[]): Promise<Set<string>> {
    const [versions, uploads] = await Promise.all([
      tx.documentVersion.findMany({ where: { tenantId, storageKey: { in: keys } }, select: { storageKey: true } }),
      tx.versionUpload.findMany({ where: { tenantId, storageKey: { in: keys } }, select: { storageKey: true } }),
    ]);
    return new Set([...versions, ...uploads].map((r) => r.storageKey));
  },
};
