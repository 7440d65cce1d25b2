import type { EventDraft, UnitOfWork } from '../../../core/index.js';
import type { Versioned } from '../../../lib/reply.js';
import { changes } from '../../audit/index.js';
import { present, versioned, type Kind, type Representation, type RowOf } from '../present.js';
import { recordsRepo, type RecordsRepo } from '../repo.js';

/**
 * Applies a change to a locked file, case or document and records it: the audit event holds the
 * old and new values of the fields that differ (plus `extra`, e.g. a reason), the event names the
 * changed fields. Both are written in the unit's transaction, with the change.
 */
export async function applyChange<K extends Kind>(
  uow: UnitOfWork,
  kind: K,
  before: RowOf[K],
  write: (repo: RecordsRepo) => Promise<RowOf[K]>,
  record: { action: string; extra?: Record<string, unknown>; event: (after: RowOf[K], changed: string[]) => EventDraft },
): Promise<Versioned<Representation[K]>> {
  const after = await write(uow.repo(recordsRepo));
  const v = versioned(kind, after);
  const diff = changes(present(kind, before), v.value);
  await uow.audit.append(
    { action: record.action, objectType: kind, objectId: before.id, old: diff.old, new: { ...diff.new, ...record.extra } },
    record.event(after, Object.keys(diff.new).sort()),
  );
  return v;
}
