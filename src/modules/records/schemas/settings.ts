import { Type, type Static } from 'typebox';
import { PlanCode } from '../../file-plan/index.js';

const Pattern = Type.String({
  maxLength: 100,
  description: 'Aktenzeichen pattern: tokens {plan}, {seq} or {seq:N} (exactly once), {yyyy}, {yy}; literal letters, digits, spaces and . / _ ( ) -',
});
const WormMode = Type.Union([Type.Literal('GOVERNANCE'), Type.Literal('COMPLIANCE')], {
  description: 'Object-lock mode of content at zdA: GOVERNANCE (removable at destruction with the bypass permission) or COMPLIANCE (nobody, before the date)',
});

export const TenantSettings = Type.Object(
  { referencePattern: Pattern, wormMode: WormMode },
  { additionalProperties: false, examples: [{ referencePattern: '{plan}-{seq:4}/{yyyy}', wormMode: 'GOVERNANCE' }] },
);
export type TenantSettings = Static<typeof TenantSettings>;

export const UpdateSettings = Type.Object(
  { referencePattern: Type.Optional(Pattern), wormMode: Type.Optional(WormMode) },
  { additionalProperties: false, minProperties: 1, examples: [{ referencePattern: '{plan}/{seq}/{yy}' }] },
);
export type UpdateSettings = Static<typeof UpdateSettings>;

export const PreviewBody = Type.Object(
  { referencePattern: Pattern, planCode: PlanCode },
  { additionalProperties: false, examples: [{ referencePattern: '{plan}.{seq:5}', planCode: '32.10.05' }] },
);
export type PreviewBody = Static<typeof PreviewBody>;

export const ReferencePreview = Type.Object(
  {
    referencePattern: Pattern,
    planCode: PlanCode,
    next: Type.String({ maxLength: 200, description: 'The reference the next file under this unit would get (nothing is taken)' }),
  },
  { additionalProperties: false },
);
