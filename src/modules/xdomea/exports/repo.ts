import type { Tx } from '../../../db/tenant-tx.js';
import type { XdomeaExport as ExportRow } from '../../../generated/prisma/client.js';

export type { ExportRow };
export type NewExport = Pick<ExportRow, 'id' | 'messageCode' | 'xdomeaVersion' | 'processId' | 'fileIds' | 'recipient' | 'createdBy'>;
export type ExportChanges = Partial<Pick<ExportRow,
  'state' | 'entriesTotal' | 'entriesDone' | 'bytesTotal' | 'bytesDone' | 'filename' | 'resultKey' | 'resultSize' | 'resultSha256' | 'error' | 'startedAt' | 'finishedAt'>>;

/** States an export can still leave: the sweep and destruction act on these. */
const LIVE = ['queued', 'running', 'done'];

/** XDOMEA exports run as jobs (0503, 0401) of one tenant, bound to a unit of work: the only code of them that talks to Prisma. */
export const exportRepo = (tx: Tx, tenantId: string) => ({
  create: (e: NewExport) => tx.xdomeaExport.create({ data: { ...e, tenantId } }),
  get: (id: string) => tx.xdomeaExport.findFirst({ where: { tenantId, id } }),
  update: (id: string, changes: ExportChanges) => tx.xdomeaExport.updateMany({ where: { tenantId, id }, data: changes }),
  /** Changes an export only while it is in one of `states` (a withdrawn or failed export stays so); the count says whether it did. */
  updateIn: async (id: string, states: string[], changes: ExportChanges) =>
    (await tx.xdomeaExport.updateMany({ where: { tenantId, id, state: { in: states } }, data: changes })).count,
  /** Done exports finished before `before`: their containers are due to go. */
  doneBefore: (before: Date, limit: number) =>
    tx.xdomeaExport.findMany({ where: { tenantId, state: 'done', finishedAt: { lt: before } }, orderBy: { finishedAt: 'asc' }, take: limit }),
  /** Queued or running exports created before `before`: a worker that crashed left them so. */
  stuckBefore: (before: Date, limit: number) =>
    tx.xdomeaExport.findMany({ where: { tenantId, state: { in: ['queued', 'running'] }, createdAt: { lt: before } }, orderBy: { createdAt: 'asc' }, take: limit }),
  /** Every export still queued, running or done that holds the file (locked for the destroying unit). */
  holdingFile: (fileId: string) => tx.xdomeaExport.findMany({ where: { tenantId, fileIds: { has: fileId }, state: { in: LIVE } } }),
});
