// Renders the configuration reference from the one schema (src/config.ts): `.env.example` and the
// table in README.md between <!-- config:start --> and <!-- config:end -->. `npm run docs:config`
// writes both; test/unit/config.test.ts fails when either differs from what the schema says.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvSchema } from '../src/config.js';

interface Property {
  description?: string;
  default?: unknown;
}
const root = fileURLToPath(new URL('../', import.meta.url));
const entries = () => Object.entries(EnvSchema.properties as Record<string, Property>);
export const README_MARKERS = ['<!-- config:start -->', '<!-- config:end -->'] as const;

export function renderEnvExample(): string {
  const lines = ['# EN-Akte configuration. Every variable is optional: unset means the embedded default.', '# Copy to .env for docker compose, or export in the shell for `npm start`.', ''];
  for (const [name, p] of entries()) {
    lines.push(`# ${p.description ?? name}`);
    lines.push(p.default === undefined ? `# ${name}=` : `${name}=${String(p.default)}`);
    lines.push('');
  }
  return lines.join('\n');
}

export function renderConfigTable(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = entries().map(([name, p]) => {
    const value = p.default === undefined ? '—' : p.default === '' ? '(empty)' : `\`${String(p.default)}\``;
    return `| \`${name}\` | ${value} | ${cell(p.description ?? '')} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** README.md with the table between the markers replaced. */
export function withConfigTable(readme: string): string {
  const [start, end] = README_MARKERS;
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md lacks the markers ${start} … ${end}`);
  return `${readme.slice(0, from + start.length)}\n${renderConfigTable()}\n${readme.slice(to)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  await writeFile(path.join(root, '.env.example'), renderEnvExample());
  const readme = path.join(root, 'README.md');
  await writeFile(readme, withConfigTable(await readFile(readme, 'utf8')));
  console.log('wrote .env.example and the configuration table of README.md');
}
