#!/usr/bin/env node
// The `en-akte` admin CLI (package.json "bin"): runs src/cli/main.ts through tsx, in this process,
// from any working directory (tsx and the sources resolve relative to this file, with the
// repository's own tsconfig.json). `npx en-akte --help` in the checkout, `npm run cli -- --help`.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('../src/cli/main.ts');
