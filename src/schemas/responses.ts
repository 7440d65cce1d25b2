import { Type, type TSchema } from 'typebox';
import { ETagHeaders } from './common.js';

/** A 200/201 response of a shared schema ($ref) that carries an ETag. */
export const withEtag = (ref: string, description: string) => ({
  ...Type.Ref(ref),
  description,
  headers: ETagHeaders,
});

/** The 304 of a GET that answers with an ETag (If-None-Match matched): the ETag, no body. */
export const notModified = {
  description: 'Not modified: If-None-Match matched the current ETag (no body; the ETag and caching headers as for 200)',
  type: 'null',
  headers: ETagHeaders,
} as const;

/** The answers of a GET of one resource ($ref) with its ETag: 200, and 304 for a matching If-None-Match. */
export const readWithEtag = (ref: string, description: string) => ({ 200: withEtag(ref, description), 304: notModified });

export const created = (ref: string, description: string) => ({
  ...Type.Ref(ref),
  description,
  headers: { ...ETagHeaders, location: { type: 'string', maxLength: 300, description: 'URL of the new resource' } },
});

export const described = <T extends TSchema>(schema: T, description: string) => ({ ...schema, description });
