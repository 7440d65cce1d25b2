import { Type, type Static } from 'typebox';
import { Int32, Int64, Limit, NextCursor, PageItems, Sha256Hex, Slug, Timestamp, Uuid } from '../../../schemas/common.js';

/** Longest media type (with parameters) a version keeps; a longer Content-Type is refused (415). */
export const MEDIA_TYPE_MAX = 255;

export const Version = Type.Object(
  {
    id: Uuid,
    documentId: Uuid,
    number: Int32({ minimum: 1, description: 'Version number, 1..n without gaps' }),
    size: Int64({ description: 'Bytes' }),
    sha256: Sha256Hex('SHA-256 of the content, lower-case hex'),
    mediaType: Type.String({ maxLength: MEDIA_TYPE_MAX, examples: ['application/pdf'] }),
    filename: Type.String({ maxLength: 255, description: 'Original file name, sanitised' }),
    uploadedBy: Type.String({ maxLength: 250 }),
    createdAt: Timestamp,
    contentUrl: Type.String({ maxLength: 300, description: 'Where to download the content' }),
  },
  {
    $id: 'Version',
    additionalProperties: false,
    examples: [
      {
        id: '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c14',
        documentId: '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c13',
        number: 1,
        size: 48213,
        sha256: 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9',
        mediaType: 'application/pdf',
        filename: 'Gewerbeanmeldung Yılmaz.pdf',
        uploadedBy: 'client:online-portal',
        createdAt: '2026-11-25T10:00:00.000Z',
        contentUrl: '/v1/tenants/hattingen/documents/01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c13/versions/1/content',
      },
    ],
  },
);
export type Version = Static<typeof Version>;

export const VersionList = Type.Object(
  {
    items: PageItems(Type.Unsafe<Version>(Type.Ref('Version'))),
    next: NextCursor,
  },
  { additionalProperties: false },
);

export const VersionListQuery = Type.Object(
  { limit: Limit, cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$', maxLength: 9, description: 'Cursor from `next`' })) },
  { additionalProperties: false },
);

export const VersionParams = Type.Object(
  {
    tenant: Slug,
    documentId: Type.String({ format: 'uuid', maxLength: 36, description: 'Id of the document' }),
    number: Type.Integer({ format: 'int32', minimum: 1, maximum: 1_000_000, description: 'Version number' }),
  },
  { additionalProperties: false },
);

export const UploadQuery = Type.Object(
  {
    checkin: Type.Boolean({ default: false, description: 'Release your check-out once the version is stored' }),
    filename: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'Original file name (else from Content-Disposition)' })),
  },
  { additionalProperties: false },
);

export const UploadHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ maxLength: 200, description: 'The document ETag you read (required: 428 without, 412 when stale)' })),
  'content-digest': Type.Optional(
    Type.String({ maxLength: 500, description: 'RFC 9530 `sha-256=:<base64>:`; verified, 422 digest-mismatch when the content differs' }),
  ),
  'content-disposition': Type.Optional(Type.String({ maxLength: 4000, description: 'attachment; filename*=UTF-8\'\'… carries the original name' })),
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Makes the upload safe to retry' })),
});

export const ContentQuery = Type.Object(
  {
    redirect: Type.Optional(
      Type.Boolean({
        description:
          'true: answer with a 307 to a short-lived presigned storage URL (when the operator allows redirects, DOWNLOAD_REDIRECT); false: stream through the API',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ContentHeaders = Type.Object({
  range: Type.Optional(Type.String({ maxLength: 200, description: 'bytes=start-end, bytes=start- or bytes=-suffix (one range)' })),
  'if-range': Type.Optional(Type.String({ maxLength: 200, description: 'Serve the range only if the ETag still matches' })),
  'if-none-match': Type.Optional(Type.String({ maxLength: 2000, description: 'ETag(s) the client holds: 304 when unchanged' })),
});
