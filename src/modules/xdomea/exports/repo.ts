import type { Tx } from '../../../db/tenant-tx.js';
import type { XdomeaExport as ExportRow } from '../../../generated/prisma/client.js';

export type { ExportRow };
export type NewExport = Pick<ExportRow, 'id' | 'messageCode' | 'xdomeaVersion' | 'processId' | 'fileIds' | 'recipient' | 'createdBy'>;
export type ExportChanges = Partial<Pick<ExportRow,
  'state' | 'entriesTotal' | 'entriesDone' | 'bytesTotal' | 'bytesDone' | 'filename' | 'resultKey' | 'resultSize' | 'resultSha256' | 'error' | 'startedAt' | 'finishedAt'>>;

/** XDOMEA exports run as jobs (0503, 0401) of one tenant, bound to a unit of work: the only code of them that talks to Prisma. */
export const exportRepo = (tx: Tx, tenantId: string) => ({
  create: (e: NewExport) => tx.xdomeaExport.create({ data: { ...e, tenantId } }),
  get: (id: string) => tx.xdomeaExport.findFirst({ where: { tenantId, id } }),
  update: (id: string, changes: ExportChanges) => tx.xdomeaExport.updateMany({ where: { tenantId, id }, data: changes }),
});
