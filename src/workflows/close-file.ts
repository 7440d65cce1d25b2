import type { RequestContext } from '../core/index.js';
import { closeDate } from '../modules/records/index.js';
import { lockContentAtClose, type LifecycleDeps } from './lifecycle.js';

/**
 * Closing a file (zdA), with its open cases when asked to: in one unit of work, the file is
 * locked first, then each open case is closed with its own audit event and `case.closed` event
 * (its history reads "closed with the file", not only the file's count), then the file, which
 * fixes its retention; then every version object is locked (WORM) until the retention ends.
 */
export function closeFileWorkflow(deps: LifecycleDeps) {
  const { scope, records } = deps;
  return (ctx: RequestContext, fileId: string, ifMatch: string | undefined, input: { closedOn?: string; closeOpenCases?: boolean }) => {
    const closedOn = closeDate(input.closedOn);
    return scope(ctx, async (uow) => {
      const file = await records.beginClose(uow, fileId, ifMatch);
      const casesClosed = input.closeOpenCases ? await records.closeOpenCasesOfFile(uow, fileId, closedOn) : 0;
      const closed = await records.closeFile(uow, file, closedOn, casesClosed);
      const { row, keys } = await records.contentOfClosedFile(uow, fileId);
      await lockContentAtClose(deps, uow, row, keys);
      return closed;
    });
  };
}
