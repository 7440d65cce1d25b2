import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * What the committed document tells a town developer beyond the schemas: a description for every
 * operation, every tag declared and described, a contact, and typed bodies where the shape is known
 * (raw content as binary, multipart parts, the recursive file-plan tree).
 */
interface Schema {
  type?: string;
  format?: string;
  $ref?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
}
interface Operation {
  operationId?: string;
  description?: string;
  tags?: string[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}
const spec = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')) as {
  info: { contact?: { name?: string; email?: string; url?: string } };
  tags: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};
const OPERATIONS = Object.entries(spec.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));
const byId = (id: string) => OPERATIONS.find((o) => o.op.operationId === id)!.op;

describe('the documentation in openapi/openapi.json', () => {
  it('describes every operation in more than its summary', () => {
    const thin = OPERATIONS.filter(({ op }) => (op.description ?? '').trim().length < 40).map(({ op }) => op.operationId);
    expect(thin).toEqual([]);
  });

  it('declares, with a description, every tag an operation uses, and no tag that none uses', () => {
    const used = [...new Set(OPERATIONS.flatMap(({ op }) => op.tags ?? []))].sort();
    const declared = spec.tags.map((t) => t.name).sort();
    expect(declared).toEqual(used);
    expect(spec.tags.filter((t) => !t.description?.trim()).map((t) => t.name)).toEqual([]);
  });

  it('names a contact with a way to reach it', () => {
    const contact = spec.info.contact ?? {};
    expect(contact.name).toBe('EN-Akte competence centre (Kompetenzzentrum E-Akte, Witten)');
    expect(contact.url).toBe('https://en-akte.example.org/docs');
  });

  it('types the version upload: raw bytes as binary, multipart as an object with a binary file part', () => {
    const content = byId('addVersion').requestBody!.content;
    expect(Object.keys(content).sort()).toEqual(['*/*', 'application/octet-stream', 'multipart/form-data']);
    expect(content['application/octet-stream']!.schema).toMatchObject({ type: 'string', format: 'binary', contentMediaType: 'application/octet-stream' });
    expect(content['*/*']!.schema).toMatchObject({ type: 'string', format: 'binary' });
    const form = content['multipart/form-data']!.schema;
    expect(form).toMatchObject({ type: 'object', required: ['file'], additionalProperties: false });
    expect(form.properties!.file).toMatchObject({ type: 'string', format: 'binary' });
  });

  it('types a multipart submission: the JSON field first, the attachments as binary parts', () => {
    const form = byId('submitApplication').requestBody!.content['multipart/form-data']!.schema;
    expect(form).toMatchObject({ type: 'object', required: ['submission'], properties: { submission: { type: 'string', contentMediaType: 'application/json' } } });
    expect(form.additionalProperties).toMatchObject({ type: 'string', format: 'binary' });
  });

  it('gives the file-plan tree a named, recursive unit schema', () => {
    const tree = byId('getFilePlan').responses['200']!.content!['application/json']!.schema;
    expect(tree.properties!.units!.items).toEqual({ $ref: '#/components/schemas/PlanTreeNode' });
    const node = spec.components.schemas.PlanTreeNode!;
    expect(node.properties!.children!.items).toEqual({ $ref: '#/components/schemas/PlanTreeNode' });
    // Every field of a unit, plus its children.
    expect(Object.keys(node.properties!).sort()).toEqual([...Object.keys(spec.components.schemas.PlanUnit!.properties!), 'children'].sort());
    expect(node.additionalProperties).toBe(false);
  });

  it('types the keys of the JWKS', () => {
    const keys = byId('getJwks').responses['200']!.content!['application/json']!.schema.properties!.keys!.items!;
    expect(keys).toMatchObject({ type: 'object', required: ['kid', 'kty', 'alg', 'use'], additionalProperties: false });
    expect(Object.keys(keys.properties!).sort()).toEqual(['alg', 'crv', 'e', 'kid', 'kty', 'n', 'use', 'x', 'y']);
  });
});
