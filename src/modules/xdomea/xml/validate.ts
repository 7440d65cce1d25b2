import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { XmlBufferInputProvider, XmlDocument, XmlValidateError, XsdValidator, xmlRegisterInputProvider } from 'libxml2-wasm';

/** The XDOMEA versions EN-Akte speaks: 3.0.0 is mandated (IT-Planungsrat 2017/39), 4.0.0 is current. */
export const XDOMEA_VERSIONS = ['3.0.0', '4.0.0'] as const;
export type XdomeaVersion = (typeof XDOMEA_VERSIONS)[number];

export const NAMESPACE: Record<XdomeaVersion, string> = {
  '3.0.0': 'urn:xoev-de:xdomea:schema:3.0.0',
  '4.0.0': 'urn:xoev-de:xdomea:schema:4.0.0',
};

export const versionOfNamespace = (ns: string): XdomeaVersion | null =>
  (Object.entries(NAMESPACE).find(([, uri]) => uri === ns)?.[0] as XdomeaVersion | undefined) ?? null;

/** One schema violation (or parse error) as the API lists it. */
export interface SchemaError {
  line: number;
  message: string;
}

/** The official schemas, shipped with the service (xsd/xdomea, beside src/ and dist/). */
export const XSD_DIR = fileURLToPath(new URL('../../../../xsd/xdomea/', import.meta.url));

const MAX_ERRORS = 50;

let provider: XmlBufferInputProvider | null = null;
const validators = new Map<XdomeaVersion, XsdValidator>();

/**
 * libxml2 reads the included schema files through this provider: every .xsd under XSD_DIR,
 * preloaded into memory, and nothing else. No file of the machine and no network address can be
 * reached by a schemaLocation (the official files' absolute http imports are answered by the
 * root schema's local imports of the same namespaces, so libxml2 skips them).
 */
function registerSchemaFiles() {
  if (provider) return;
  const files: Record<string, Uint8Array> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.xsd')) files[full] = readFileSync(full);
    }
  };
  walk(XSD_DIR);
  provider = new XmlBufferInputProvider(files);
  xmlRegisterInputProvider(provider);
}

/** The compiled schema of a version; compiled once per process (about 250 ms), then reused. */
function validatorFor(version: XdomeaVersion): XsdValidator {
  let v = validators.get(version);
  if (!v) {
    registerSchemaFiles();
    const root = path.join(XSD_DIR, version, 'xdomea.xsd');
    const xsd = XmlDocument.fromBuffer(readFileSync(root), { url: root });
    try {
      v = XsdValidator.fromDoc(xsd);
    } finally {
      xsd.dispose();
    }
    validators.set(version, v);
  }
  return v;
}

/** Schema errors of a parsed message against its version's XSD; empty when it is valid. */
export function schemaErrors(doc: XmlDocument, version: XdomeaVersion): SchemaError[] {
  try {
    validatorFor(version).validate(doc);
    return [];
  } catch (err) {
    if (err instanceof XmlValidateError) {
      return err.details.slice(0, MAX_ERRORS).map((d) => ({ line: d.line, message: d.message.trim() }));
    }
    throw err;
  }
}

/** Compiles both schemas now (start-up), so the first request does not pay for it. */
export function warmUpSchemas(): void {
  for (const v of XDOMEA_VERSIONS) validatorFor(v);
}
