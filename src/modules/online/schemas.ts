import { Type, type Static } from 'typebox';
import { Cursor, Int32, Limit, NextCursor, PageItems, Sha256Hex, Slug, Timestamp, Uuid } from '../../schemas/common.js';

export const ServiceKey = Type.String({ pattern: '^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$', maxLength: 64, description: 'LeiKa/FIM id of the service (Leistungsschlüssel)', examples: ['99050012104000'] });
export const Filing = Type.Union([Type.Literal('file-per-applicant'), Type.Literal('case-in-running-file')], {
  description: 'file-per-applicant: a new file (Akte) with one case per submission; case-in-running-file: a case in the open file titled runningFileTitle (created when missing)',
});
const JsonSchemaObject = Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), {
  maxProperties: 60,
  description: 'JSON Schema (draft-07) of the form data (Fachdaten, per FIM schema); at most 64 KiB serialised',
  examples: [{ type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 100 } } }],
});
const Pattern = (description: string) => Type.String({ minLength: 1, maxLength: 300, description });
const CASE_TITLE = 'Case title pattern: text with {path.in.form} placeholders (alternatives with |), e.g. "Gewerbe-{anzeigeart}: {betrieb.geschaeftsbezeichnung|inhaber.familienname}"';
const RUNNING_FILE = 'Title of the running file for case-in-running-file ({yyyy}: the year of receipt), e.g. "Gewerbeanzeigen {yyyy}"';
export const SubmissionState = Type.Union(
  [Type.Literal('received'), Type.Literal('accepted'), Type.Literal('rejected'), Type.Literal('in-progress'), Type.Literal('decided'), Type.Literal('closed')],
  { description: "Processing state in FIT-Connect's terms" },
);
export type SubmissionStateName = 'received' | 'accepted' | 'rejected' | 'in-progress' | 'decided' | 'closed';
export const PaymentStatus = Type.Union([Type.Literal('open'), Type.Literal('paid'), Type.Literal('failed'), Type.Literal('refunded')]);

export const OnlineService = Type.Object(
  {
    id: Uuid,
    serviceKey: ServiceKey,
    title: Type.String({ maxLength: 300 }),
    formSchema: JsonSchemaObject,
    planCode: Type.String({ maxLength: 64, description: 'Code of the file-plan unit submissions are filed under' }),
    filing: Filing,
    runningFileTitle: Type.Union([Type.String({ maxLength: 300, description: RUNNING_FILE }), Type.Null()]),
    caseTitle: Type.String({ maxLength: 300, description: CASE_TITLE }),
    paymentRequired: Type.Boolean({ description: 'A submission is accepted only once paid (ePayBL)' }),
    competentTenant: Type.Union([Slug, Type.Null()], { description: 'Tenant that decides and files the submissions; null: this tenant' }),
    active: Type.Boolean({ description: 'Switched off: the intake refuses submissions (422)' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'OnlineService', additionalProperties: false, description: 'An online service of the tenant (catalogue entry)' },
);
export type OnlineService = Static<typeof OnlineService>;

export const CreateOnlineService = Type.Object(
  {
    serviceKey: ServiceKey,
    title: Type.String({ minLength: 1, maxLength: 300 }),
    formSchema: JsonSchemaObject,
    planCode: Type.String({ minLength: 1, maxLength: 64 }),
    filing: Filing,
    runningFileTitle: Type.Optional(Pattern(RUNNING_FILE)),
    caseTitle: Pattern(CASE_TITLE),
    paymentRequired: Type.Optional(Type.Boolean({ default: false })),
    competentTenant: Type.Optional(Slug),
    active: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);
export type CreateOnlineService = Static<typeof CreateOnlineService>;

export const UpdateOnlineService = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
    formSchema: Type.Optional(JsonSchemaObject),
    planCode: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    filing: Type.Optional(Filing),
    runningFileTitle: Type.Optional(Type.Union([Pattern(RUNNING_FILE), Type.Null()])),
    caseTitle: Type.Optional(Pattern(CASE_TITLE)),
    paymentRequired: Type.Optional(Type.Boolean()),
    competentTenant: Type.Optional(Type.Union([Slug, Type.Null()])),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateOnlineService = Static<typeof UpdateOnlineService>;

export const OnlineServiceList = Type.Object({ items: PageItems(Type.Ref('OnlineService')) }, { additionalProperties: false });

const Attachment = Type.Object(
  {
    part: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', maxLength: 64, description: 'Name of the multipart file part that carries it' }),
    title: Type.String({ minLength: 1, maxLength: 300, description: 'What it is (becomes the document title)' }),
    filename: Type.String({ minLength: 1, maxLength: 255 }),
    mediaType: Type.String({ pattern: '^[a-z0-9!#$&^_.+-]{1,100}/[a-z0-9!#$&^_.+-]{1,100}$', maxLength: 201 }),
    sha256: Sha256Hex('SHA-256 of the content, hex; the intake refuses the submission when the received bytes differ'),
  },
  { additionalProperties: false },
);

/** A submission as the portal sends it (FIT-Connect: metadata + Fachdaten + attachments). */
export const SubmissionInput = Type.Object(
  {
    serviceKey: ServiceKey,
    submissionId: Type.String({ pattern: '^[A-Za-z0-9._:-]{1,100}$', maxLength: 100, description: "The portal's submission id: a retry with the same id and body answers as the first time" }),
    submittedAt: Timestamp,
    applicant: Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 200, description: 'Name for the reply' }),
        email: Type.Optional(Type.String({ format: 'email', maxLength: 200 })),
        phone: Type.Optional(Type.String({ pattern: '^[0-9 +()/-]{3,30}$', maxLength: 30 })),
      },
      { additionalProperties: false, description: "The applicant's contact (nothing of the BundID account beyond what the form needs)" },
    ),
    accountId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:@-]{8,200}$', maxLength: 200, description: 'Pseudonymous BundID account id (sub of the citizen IdP): the citizen can look the submission up with it' })),
    payment: Type.Optional(
      Type.Object(
        {
          status: PaymentStatus,
          amountCents: Int32({ description: 'Amount in euro cents' }),
          transactionReference: Type.String({ pattern: '^[A-Za-z0-9._:/-]{1,100}$', maxLength: 100, description: 'ePayBL transaction reference' }),
        },
        { additionalProperties: false },
      ),
    ),
    formData: Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), { maxProperties: 100, description: "The form data, validated against the service's form schema (at most 256 KiB)" }),
    attachments: Type.Optional(Type.Array(Attachment, { maxItems: 20, description: 'Declared attachments; each follows as a multipart file part of that name, in this order' })),
  },
  { additionalProperties: false, $id: 'SubmissionInput' },
);
export type SubmissionInput = Static<typeof SubmissionInput>;

export const FiledWith = Type.Object({ tenant: Slug, name: Type.String({ maxLength: 200 }) }, { additionalProperties: false, description: 'The competent authority the submission is filed with' });

export const IntakeAnswer = Type.Object(
  {
    id: Uuid,
    submissionId: Type.String({ maxLength: 100 }),
    state: SubmissionState,
    filedWith: FiledWith,
    forwarded: Type.Boolean({ description: 'true: filed with another tenant than the one it was sent to' }),
    statusToken: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', maxLength: 43, description: 'For the citizen: GET /v1/status/{statusToken} (256 bits; only its hash is stored)' }),
    statusUrl: Type.String({ maxLength: 300 }),
  },
  { additionalProperties: false },
);
export type IntakeAnswer = Static<typeof IntakeAnswer>;

const Payment = Type.Union([
  Type.Object({ status: PaymentStatus, amountCents: Type.Union([Int32(), Type.Null()]), transactionReference: Type.Union([Type.String({ maxLength: 100 }), Type.Null()]), at: Type.Union([Timestamp, Type.Null()]) }, { additionalProperties: false }),
  Type.Null(),
]);

export const SubmissionView = Type.Object(
  {
    id: Uuid,
    submissionId: Type.String({ maxLength: 100 }),
    serviceKey: ServiceKey,
    serviceTitle: Type.String({ maxLength: 300 }),
    receivedFrom: Slug,
    submittedAt: Timestamp,
    state: SubmissionState,
    stateReason: Type.Union([Type.String({ maxLength: 1000 }), Type.Null()]),
    stateAt: Timestamp,
    fileId: Uuid,
    caseId: Uuid,
    formDocumentId: Uuid,
    decisionDocumentId: Type.Union([Uuid, Type.Null()]),
    paymentRequired: Type.Boolean(),
    payment: Payment,
    overdue: Type.Boolean({ description: 'Flagged: still received after SUBMISSION_OVERDUE_DAYS' }),
    createdAt: Timestamp,
  },
  { $id: 'Submission', additionalProperties: false, description: 'A submission filed with this tenant' },
);
/** The shared schema by reference (registered once by the online-service routes). */
export const SubmissionRef = Type.Unsafe<Static<typeof SubmissionView>>(Type.Ref('Submission'));

export const ForwardedView = Type.Object(
  {
    id: Uuid,
    submissionId: Type.String({ maxLength: 100 }),
    serviceKey: ServiceKey,
    state: Type.Literal('forwarded'),
    forwardedTo: FiledWith,
    createdAt: Timestamp,
  },
  { additionalProperties: false, description: 'A submission sent to this tenant and filed with the competent one: where it went, nothing of its content' },
);
export const SubmissionOrForward = Type.Union([SubmissionRef, ForwardedView]);
export type SubmissionView = Static<typeof SubmissionView>;
export type ForwardedView = Static<typeof ForwardedView>;

export const SubmissionListQuery = Type.Object(
  { state: Type.Optional(SubmissionState), overdue: Type.Optional(Type.Boolean()), limit: Limit, cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);
export const SubmissionList = Type.Object({ items: PageItems(SubmissionRef), next: NextCursor }, { additionalProperties: false });

export const Transition = Type.Object(
  {
    to: Type.Union([Type.Literal('accepted'), Type.Literal('rejected'), Type.Literal('in-progress'), Type.Literal('decided'), Type.Literal('closed')]),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'Required for rejected' })),
    decisionDocumentId: Type.Optional(Type.String({ format: 'uuid', maxLength: 36, description: 'For decided: the Bescheid, a document of the case with content' })),
  },
  { additionalProperties: false },
);
export type Transition = Static<typeof Transition>;

export const PaymentReport = Type.Object(
  {
    submissionId: Type.String({ pattern: '^[A-Za-z0-9._:-]{1,100}$', maxLength: 100, description: "The portal's submission id the payment belongs to" }),
    status: PaymentStatus,
    amountCents: Int32(),
    transactionReference: Type.String({ pattern: '^[A-Za-z0-9._:/-]{1,100}$', maxLength: 100 }),
  },
  { additionalProperties: false },
);
export type PaymentReport = Static<typeof PaymentReport>;
export const PaymentAnswer = Type.Object(
  { submissionId: Type.String({ maxLength: 100 }), status: PaymentStatus, amountCents: Int32(), transactionReference: Type.String({ maxLength: 100 }), changed: Type.Boolean({ description: 'false: the same report was received before' }) },
  { additionalProperties: false },
);

export const StatusToken = Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', maxLength: 43, description: 'The status token the portal gave the citizen' });
export const CitizenStatus = Type.Object(
  {
    service: Type.String({ maxLength: 300 }),
    state: SubmissionState,
    since: Timestamp,
    authority: Type.String({ maxLength: 200, description: 'Name of the competent authority' }),
  },
  { additionalProperties: false, description: 'What a citizen learns of an application: no personal data, no documents' },
);
export type CitizenStatus = Static<typeof CitizenStatus>;
export const CitizenStatusList = Type.Object({ items: Type.Array(CitizenStatus, { maxItems: 100 }) }, { additionalProperties: false });
