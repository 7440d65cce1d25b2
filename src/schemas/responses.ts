import { Type, type TSchema } from 'typebox';
import { ETagHeaders } from './common.js';

/** A 200/201 response of a shared schema ($ref) that carries an ETag. */
export const withEtag = (ref: string, description: string) => ({
  ...Type.Ref(ref),
  description,
  headers: ETagHeaders,
});

export const created = (ref: string, description: string) => ({
  ...Type.Ref(ref),
  description,
  headers: { ...ETagHeaders, location: { type: 'string', maxLength: 300, description: 'URL of the new resource' } },
});

export const described = <T extends TSchema>(schema: T, description: string) => ({ ...schema, description });
