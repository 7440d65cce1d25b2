import type { RequestContext, Scope } from '../core/index.js';
import { closeDate, type RecordsOps } from '../modules/records/index.js';

/**
 * Closing a file (zdA), with its open cases when asked to: in one unit of work, the file is
 * locked first, then each open case is closed with its own audit event and `case.closed` event
 * (its history reads "closed with the file", not only the file's count), then the file.
 */
export function closeFileWorkflow(deps: { scope: Scope; records: RecordsOps }) {
  const { scope, records } = deps;
  return (ctx: RequestContext, fileId: string, ifMatch: string | undefined, input: { closedOn?: string; closeOpenCases?: boolean }) => {
    const closedOn = closeDate(input.closedOn);
    return scope(ctx, async (uow) => {
      const file = await records.beginClose(uow, fileId, ifMatch);
      const casesClosed = input.closeOpenCases ? await records.closeOpenCasesOfFile(uow, fileId, closedOn) : 0;
      return records.closeFile(uow, file, closedOn, casesClosed);
    });
  };
}

