import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The committed contract passes Spectral (spectral:oas + OWASP API Top 10 2023) without an error. */
describe('openapi/openapi.json under Spectral', () => {
  it('has no error, and every rule turned off says why', () => {
    const result = spawnSync(
      process.execPath,
      [path.join(root, 'node_modules', '@stoplight', 'spectral-cli', 'dist', 'index.js'), 'lint', 'openapi/openapi.json', '--ruleset', '.spectral.yaml', '--format', 'json', '--quiet'],
      { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    const findings = JSON.parse(result.stdout) as { code: string; severity: number; path: string[] }[];
    expect(findings.filter((f) => f.severity === 0).map((f) => `${f.code} ${f.path.join('.')}`)).toEqual([]);
    // The rules that would fire without the overrides are OWASP's, and each override block is preceded by its reason.
    const text = readFileSync(path.join(root, '.spectral.yaml'), 'utf8');
    const ruleset = parse(text) as { overrides: { files: string[]; rules: Record<string, string> }[] };
    expect(ruleset.overrides.length).toBeGreaterThan(0);
    for (const override of ruleset.overrides) {
      expect(Object.values(override.rules)).toEqual(Object.values(override.rules).map(() => 'off'));
      const at = text.indexOf(`- files:\n      - "${override.files[0]}"`);
      const before = text.slice(0, at).trimEnd().split('\n').at(-1) ?? '';
      expect(before.trim().startsWith('#'), `override for ${override.files[0]} has a reason`).toBe(true);
    }
  });
});
