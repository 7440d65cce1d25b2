import { Type, type Static } from 'typebox';
import { Cursor, Int32, IsoDate, Limit, NextCursor, PageItems, Timestamp, Uuid } from '../../schemas/common.js';

/** Most units a tenant's file plan holds (so the whole tree fits one answer). */
export const PLAN_UNITS_MAX = 10_000;

export const PlanCode = Type.String({
  pattern: '^[0-9A-Za-z]{1,8}(\\.[0-9A-Za-z]{1,8}){0,7}$',
  maxLength: 64,
  description: "Code of the unit; a child's code extends its parent's by one segment (`32.10` → `32.10.05`)",
  examples: ['32.10.05'],
});

export const Disposal = Type.Union([Type.Literal('A'), Type.Literal('B'), Type.Literal('V')], {
  description: 'Aussonderungsart: A archive, B appraise by the archive, V destroy',
});

const RetentionYears = Type.Union([Int32({ maximum: 200 }), Type.Null()], {
  description: 'Aufbewahrungsfrist in years after the close year; null = unlimited',
});

export const PlanUnit = Type.Object(
  {
    id: Uuid,
    code: PlanCode,
    parentCode: Type.Union([PlanCode, Type.Null()]),
    title: Type.String({ maxLength: 300 }),
    description: Type.Union([Type.String({ maxLength: 4000 }), Type.Null()]),
    retentionYears: RetentionYears,
    disposal: Disposal,
    validFrom: Type.Union([IsoDate, Type.Null()]),
    validUntil: Type.Union([IsoDate, Type.Null()]),
    retired: Type.Boolean({ description: 'Retired (stillgelegt) units keep their files but take no new ones' }),
    retiredAt: Type.Union([Timestamp, Type.Null()]),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  {
    $id: 'PlanUnit',
    additionalProperties: false,
    examples: [
      {
        id: '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c11',
        code: '32.10.05',
        parentCode: '32.10',
        title: 'Gewerbeanmeldungen',
        description: null,
        retentionYears: 10,
        disposal: 'B',
        validFrom: '2026-01-01',
        validUntil: null,
        retired: false,
        retiredAt: null,
        createdAt: '2026-11-25T10:00:00.000Z',
        updatedAt: '2026-11-25T10:00:00.000Z',
      },
    ],
  },
);
export type PlanUnit = Static<typeof PlanUnit>;

const unitFields = {
  title: Type.String({ minLength: 1, maxLength: 300 }),
  description: Type.Optional(Type.Union([Type.String({ maxLength: 4000 }), Type.Null()])),
  retentionYears: RetentionYears,
  disposal: Disposal,
  validFrom: Type.Optional(Type.Union([IsoDate, Type.Null()])),
  validUntil: Type.Optional(Type.Union([IsoDate, Type.Null()])),
};

export const CreatePlanUnit = Type.Object(
  { code: PlanCode, ...unitFields },
  {
    additionalProperties: false,
    examples: [{ code: '32.10.05', title: 'Gewerbeanmeldungen', retentionYears: 10, disposal: 'B', validFrom: '2026-01-01' }],
  },
);
export type CreatePlanUnit = Static<typeof CreatePlanUnit>;

export const UpdatePlanUnit = Type.Object(
  {
    title: Type.Optional(unitFields.title),
    description: unitFields.description,
    retentionYears: Type.Optional(RetentionYears),
    disposal: Type.Optional(Disposal),
    validFrom: unitFields.validFrom,
    validUntil: unitFields.validUntil,
  },
  { additionalProperties: false, minProperties: 1, examples: [{ title: 'Gewerbean-, -um- und -abmeldungen' }] },
);
export type UpdatePlanUnit = Static<typeof UpdatePlanUnit>;

export const ImportPlan = Type.Object(
  { units: Type.Array(CreatePlanUnit, { minItems: 1, maxItems: PLAN_UNITS_MAX }) },
  {
    additionalProperties: false,
    examples: [
      {
        units: [
          { code: '32', title: 'Ordnung', retentionYears: null, disposal: 'A' },
          { code: '32.10', title: 'Gewerbe', retentionYears: 10, disposal: 'B' },
        ],
      },
    ],
  },
);

export const ImportResult = Type.Object({ created: Int32({ maximum: PLAN_UNITS_MAX, description: 'Number of units created' }) }, { additionalProperties: false });

export interface PlanTreeNode extends PlanUnit {
  children: PlanTreeNode[];
}
/** A unit of the file-plan tree with its child units, recursively (a named schema that refers to itself). */
export const PlanTreeNode = Type.Object(
  {
    ...PlanUnit.properties,
    children: Type.Array(Type.Unsafe<PlanTreeNode>(Type.Ref('PlanTreeNode')), {
      maxItems: PLAN_UNITS_MAX,
      description: 'The units directly below this one, ordered by code, each with its own children',
    }),
  },
  { $id: 'PlanTreeNode', additionalProperties: false, description: 'A file-plan unit with its child units' },
);
export const PlanTree = Type.Object(
  {
    units: Type.Array(Type.Unsafe<PlanTreeNode>(Type.Ref('PlanTreeNode')), {
      maxItems: PLAN_UNITS_MAX,
      description: 'Top-level units, ordered by code, each with its children recursively',
    }),
  },
  { additionalProperties: false },
);

export const PlanUnitList = Type.Object(
  {
    items: PageItems(Type.Unsafe<PlanUnit>(Type.Ref('PlanUnit'))),
    next: NextCursor,
  },
  { additionalProperties: false },
);

export const PlanUnitListQuery = Type.Object(
  {
    limit: Limit,
    cursor: Type.Optional(Cursor),
    parentCode: Type.Optional(PlanCode),
    retired: Type.Optional(Type.Boolean({ description: 'true: only retired units; false: only active ones' })),
  },
  { additionalProperties: false },
);

export const PlanTreeQuery = Type.Object(
  { includeRetired: Type.Boolean({ default: true, description: 'Include retired units' }) },
  { additionalProperties: false },
);
