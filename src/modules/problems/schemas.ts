import { Type, type Static } from 'typebox';
import { catalogue } from '../../errors.js';

/** Codes are lower-case words joined by hyphens (src/errors.ts). */
export const CODE_PATTERN = '^[a-z][a-z0-9-]{0,62}[a-z0-9]$';

export const ProblemType = Type.Object(
  {
    type: Type.String({ format: 'uri', maxLength: 300, description: 'The problem type URI: this document' }),
    code: Type.String({ maxLength: 64, enum: Object.keys(catalogue), description: 'The stable code problems of this type carry' }),
    status: Type.Integer({ format: 'int32', minimum: 400, maximum: 599, description: 'The HTTP status problems of this type carry' }),
    title: Type.String({ maxLength: 200, description: 'The `title` problems of this type carry' }),
    description: Type.String({ maxLength: 2000, description: 'When the API answers it, and what to do' }),
  },
  {
    $id: 'ProblemType',
    additionalProperties: false,
    description: 'One entry of the error catalogue (src/errors.ts)',
    examples: [
      {
        type: 'https://en-akte.example.org/problems/checked-out',
        code: 'checked-out',
        status: 409,
        title: catalogue['checked-out'].title,
        description: catalogue['checked-out'].description,
      },
    ],
  },
);
export type ProblemType = Static<typeof ProblemType>;

export const ProblemTypeList = Type.Object(
  { items: Type.Array(Type.Unsafe<ProblemType>(Type.Ref('ProblemType')), { maxItems: 200, description: 'Every problem type, in catalogue order' }) },
  { additionalProperties: false },
);

export const ProblemTypeParams = Type.Object(
  { code: Type.String({ pattern: CODE_PATTERN, minLength: 2, maxLength: 64, description: 'The code (the last path segment of a problem `type`)', examples: ['checked-out'] }) },
  { additionalProperties: false },
);

/** The HTML page of a problem type, or of the list (at most ~100 KiB). */
export const HtmlPage = { type: 'string', maxLength: 200_000, description: 'An HTML page (text/html; charset=utf-8)' } as const;
