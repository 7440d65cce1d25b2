import { Type, type Static } from 'typebox';
import { PlanCode } from '../file-plan/index.js';
import { Cursor, Limit, NextCursor, PageItems, Slug, Timestamp, Uuid } from '../../schemas/common.js';
import { VersionParam } from './schemas.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const HandoverStateSchema = Type.Union([Type.Literal('offered'), Type.Literal('accepted'), Type.Literal('completed'), Type.Literal('refused')], {
  description: 'offered (0401 staged, the recipient decides) → accepted (imported at the recipient, 0402 sent) → completed (the sender\'s file closed with the note); or offered → refused (0402 not successful)',
});

export const StartHandover = Type.Object(
  {
    recipient: Type.String({ ...Slug, examples: ['en-kreis'], description: 'The tenant the file is handed over to (change of competence), e.g. `en-kreis`' }),
    version: Type.Optional(VersionParam),
    note: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'Why the file is handed over (kept with the hand-over and in the note on the closed file)' })),
  },
  { additionalProperties: false },
);

export const AcceptHandover = Type.Object(
  { planCode: PlanCode },
  { additionalProperties: false },
);

export const RefuseHandover = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 1000, description: 'Why the recipient does not take the file over (sent as Fehlermeldung of the 0402)' }) },
  { additionalProperties: false },
);

export const Handover = Type.Object(
  {
    id: Uuid,
    state: HandoverStateSchema,
    direction: Type.Union([Type.Literal('outgoing'), Type.Literal('incoming')], { description: 'outgoing: this tenant sends it; incoming: this tenant is the recipient' }),
    sender: Type.String({ ...Slug, description: 'Sending tenant' }),
    recipient: Type.String({ ...Slug, description: 'Recipient tenant' }),
    fileId: Type.String({ format: 'uuid', maxLength: 36, description: 'The sender\'s file' }),
    fileReference: Type.String({ maxLength: 200, description: 'The sender\'s reference (Aktenzeichen) of the file' }),
    fileTitle: Type.String({ maxLength: 500 }),
    version: Type.Union([Type.Literal('3.0.0'), Type.Literal('4.0.0')], { description: 'XDOMEA version of the messages' }),
    processId: Type.String({ format: 'uuid', maxLength: 36, description: 'ProzessID of the 0401 (and its 0402)' }),
    messageId: Type.String({ format: 'uuid', maxLength: 36, description: 'Id of the 0401 message (4.0.0 nachrichtenUUID)' }),
    note: Nullable(Type.String({ maxLength: 1000 })),
    createdBy: Type.String({ maxLength: 250 }),
    createdAt: Timestamp,
    decidedBy: Nullable(Type.String({ maxLength: 250 })),
    decidedAt: Nullable(Timestamp),
    reason: Nullable(Type.String({ maxLength: 1000, description: 'Why it was refused' })),
    recipientFileId: Nullable(Type.String({ format: 'uuid', maxLength: 36, description: 'The new file at the recipient' })),
    recipientReference: Nullable(Type.String({ maxLength: 200, description: 'The new file\'s own reference at the recipient' })),
    replyMessageId: Nullable(Type.String({ format: 'uuid', maxLength: 36, description: 'Id of the 0402 the recipient answered with' })),
    completedAt: Nullable(Timestamp),
  },
  { $id: 'XdomeaHandover', additionalProperties: false, description: 'A hand-over of a file to another tenant (XDOMEA Abgabe 0401/0402, in-service)' },
);
export type Handover = Static<typeof Handover>;
/** The shared schema by reference (registered once by the hand-over routes). */
export const HandoverRef = Type.Unsafe<Handover>(Type.Ref('XdomeaHandover'));

export const HandoverListQuery = Type.Object(
  {
    direction: Type.Union([Type.Literal('incoming'), Type.Literal('outgoing')], { default: 'incoming', description: 'incoming (to decide on) or outgoing (sent)' }),
    state: Type.Optional(HandoverStateSchema),
    limit: Limit,
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
export const HandoverList = Type.Object({ items: PageItems(HandoverRef), next: NextCursor }, { additionalProperties: false });

export const HandoverParams = Type.Object(
  { tenant: Slug, handoverId: Type.String({ format: 'uuid', maxLength: 36, description: 'Id of the hand-over' }) },
  { additionalProperties: false },
);
