import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The committed contract passes Redocly's `recommended` rules (redocly.yaml) with no error and no warning. */
describe('openapi/openapi.json under Redocly (recommended)', () => {
  it('has 0 errors and 0 warnings, and every rule turned off says why', () => {
    const result = spawnSync(
      process.execPath,
      [path.join(root, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js'), 'lint', 'openapi/openapi.json', '--format=json'],
      { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
    );
    const report = JSON.parse(result.stdout.slice(result.stdout.indexOf('{'))) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
    };
    expect(report.problems.map((p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    expect(result.status).toBe(0);
    // The configuration extends `recommended`; a rule it switches off is preceded by a comment saying why.
    const text = readFileSync(path.join(root, 'redocly.yaml'), 'utf8');
    const config = parse(text) as { extends: string[]; rules?: Record<string, unknown> };
    expect(config.extends).toEqual(['recommended']);
    for (const rule of Object.keys(config.rules ?? {})) {
      const before = text.slice(0, text.indexOf(`  ${rule}:`)).trimEnd().split('\n').at(-1) ?? '';
      expect(before.trim().startsWith('#'), `${rule} has a reason`).toBe(true);
    }
  });
});
