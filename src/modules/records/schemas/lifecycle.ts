import { Type, type Static } from 'typebox';
import { Int32, Int64, IsoDate, Timestamp, Uuid } from '../../../schemas/common.js';

/** Records lifecycle: retention (Aufbewahrung), legal hold, disposal (Aussonderung), destruction. */

export const DisposalCode = Type.Union([Type.Literal('A'), Type.Literal('B'), Type.Literal('V')], {
  description: 'Aussonderungsart: A archive (archivieren), B appraise (bewerten), V destroy (vernichten)',
});
export const ArchiveDecision = Type.Union([Type.Literal('A'), Type.Literal('V')], {
  description: "The archive's decision: A take over (übernehmen), V destroy (vernichten)",
});
export const DisposalState = Type.Union(
  [Type.Literal('due'), Type.Literal('offered'), Type.Literal('evaluated'), Type.Literal('archived'), Type.Literal('destroyed')],
  { description: 'Aussonderung: due (retention ended) → offered (to the archive) → evaluated (A or V) → archived (A) → destroyed' },
);
const RetentionYears = Type.Union([Int32({ maximum: 200 }), Type.Null()], { description: 'Years after the zdA year; null = unlimited (dauernd)' });
const Who = Type.String({ minLength: 1, maxLength: 250 });

export const Retention = Type.Union(
  [
    Type.Object(
      {
        disposalCode: DisposalCode,
        retentionYears: RetentionYears,
        endsOn: Type.Union([IsoDate, Type.Null()], {
          description: 'Aufbewahrungsende: 31 Dec of the year in which closedOn + retentionYears falls; null = never (unlimited)',
        }),
        overridden: Type.Boolean({ description: 'A records manager changed code or period (reason in the audit trail)' }),
      },
      { additionalProperties: false },
    ),
    Type.Null(),
  ],
  { description: 'Fixed at zdA from the plan unit; null while the file is open' },
);

export const Hold = Type.Union(
  [
    Type.Object(
      { reason: Type.String({ maxLength: 1000 }), reference: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]), by: Type.String({ maxLength: 250 }), at: Timestamp },
      { additionalProperties: false },
    ),
    Type.Null(),
  ],
  { description: 'Legal hold: while set, the file cannot be disposed of and its content objects carry an object legal hold' },
);

export const Disposal = Type.Union(
  [
    Type.Object(
      {
        state: DisposalState,
        changedAt: Timestamp,
        decision: Type.Union([ArchiveDecision, Type.Null()]),
        decidedBy: Type.Union([Type.String({ maxLength: 250 }), Type.Null()], { description: 'Who decided at the archive' }),
        decidedAt: Type.Union([Timestamp, Type.Null()]),
        archiveReference: Type.Union([Type.String({ maxLength: 200 }), Type.Null()], { description: "The archive's reference of the taken-over file" }),
      },
      { additionalProperties: false },
    ),
    Type.Null(),
  ],
  { description: 'Disposal (Aussonderung); null before the retention ended' },
);

export const RetentionOverride = Type.Object(
  {
    disposalCode: Type.Optional(DisposalCode),
    retentionYears: Type.Optional(RetentionYears),
    reason: Type.Optional(Type.String({ maxLength: 1000, description: 'Why (kept in the audit trail): required, 422 without' })),
  },
  { additionalProperties: false, examples: [{ retentionYears: 30, reason: 'Erlass 2026/14: Bauakten 30 Jahre' }] },
);
export type RetentionOverride = Static<typeof RetentionOverride>;

export const PlaceHold = Type.Object(
  {
    reason: Type.String({ minLength: 3, maxLength: 1000 }),
    reference: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'e.g. the court case number' })),
  },
  { additionalProperties: false, examples: [{ reason: 'Klage vor dem VG Arnsberg', reference: '4 K 1234/26' }] },
);
export type PlaceHold = Static<typeof PlaceHold>;

export const ArchiveDecisionBody = Type.Object(
  {
    decision: ArchiveDecision,
    decidedBy: Type.String({ minLength: 1, maxLength: 250, description: 'Who decided at the archive' }),
    decidedAt: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'When (default now); not in the future' })),
  },
  { additionalProperties: false, examples: [{ decision: 'A', decidedBy: 'Landesarchiv NRW, Abt. Westfalen, Dr. Kranz' }] },
);
export type ArchiveDecisionBody = Static<typeof ArchiveDecisionBody>;

export const ArchivedBody = Type.Object(
  {
    archiveReference: Type.String({ minLength: 1, maxLength: 200, description: "The archive's reference (Signatur)" }),
    confirmedBy: Type.Optional(Who),
  },
  { additionalProperties: false, examples: [{ archiveReference: 'LAV NRW W, Stadt Witten Nr. 4711' }] },
);
export type ArchivedBody = Static<typeof ArchivedBody>;

export const DestroyBody = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 3, maxLength: 1000 })) },
  { additionalProperties: false, examples: [{ reason: 'Aussonderung 2037, Bewertung des Archivs: V' }] },
);

/** The destruction record (Löschprotokoll) of one file. */
export const DestructionRecord = Type.Object(
  {
    id: Uuid,
    fileId: Uuid,
    reference: Type.String({ maxLength: 200 }),
    planCode: Type.String({ maxLength: 64 }),
    planUnitId: Uuid,
    createdAt: Timestamp,
    closedOn: Type.Union([IsoDate, Type.Null()]),
    disposalCode: Type.Union([DisposalCode, Type.Null()]),
    retentionYears: RetentionYears,
    retentionEndsOn: Type.Union([IsoDate, Type.Null()]),
    decision: Type.Union([ArchiveDecision, Type.Null()]),
    decidedBy: Type.Union([Type.String({ maxLength: 250 }), Type.Null()]),
    decidedAt: Type.Union([Timestamp, Type.Null()]),
    archiveReference: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
    reason: Type.Union([Type.String({ maxLength: 1000 }), Type.Null()]),
    destroyed: Type.Object(
      { cases: Int32(), documents: Int32(), versions: Int32(), bytes: Int64(), governanceBypassed: Type.Boolean() },
      { additionalProperties: false },
    ),
    destroyedBy: Type.String({ maxLength: 250 }),
    destroyedAt: Timestamp,
    audit: Type.Object(
      { seq: Int64({ minimum: 1 }), hash: Type.String({ pattern: '^[0-9a-f]{64}$', maxLength: 64 }) },
      { additionalProperties: false, description: 'The audit event of the destruction' },
    ),
  },
  { $id: 'DestructionRecord', additionalProperties: false },
);
export type DestructionRecord = Static<typeof DestructionRecord>;
