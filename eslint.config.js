// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The shape of the code (README "Architecture"): core ← modules ← workflows ← routes/jobs. A module
// reaches another only through its index.ts; nothing but src/app.ts and src/server.ts uses plugins.
const MODULES = 'audit|clients|events|file-plan|grants|health|records|search|tenants|webhooks';
const rules = {
  plugins: { regex: '(^|/)plugins/', message: 'Plugins fill the request context; modules, workflows, jobs and core never import them.' },
  otherModuleInternals: {
    regex: `(^|/)(${MODULES})/(?!index\\.js$)`,
    message: "Import another module only through its index.ts, never its repo or internals.",
  },
  moduleInternals: { regex: `(^|/)modules/[^/]+/(?!index\\.js$)`, message: "Import a module only through its index.ts." },
  upward: { regex: '(^|/)(workflows|jobs)/', message: 'Modules do not depend on workflows or jobs; they are built on top of modules.' },
  aboveCore: { regex: '(^|/)(modules|workflows|jobs|plugins)/', message: 'src/core is what every layer imports; it imports none of them.' },
  jobs: { regex: '(^|/)jobs/', message: 'Workflows do not depend on jobs.' },
  drivers: {
    group: ['minio', '@prisma/*', 'pg', '**/generated/prisma/*'],
    message: 'Only a module repo (repo.ts) talks to Prisma or the database driver; storage goes through the BlobStore port.',
  },
};
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'clients/*/dist/', 'src/generated/', '.data/', 'coverage/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', fetch: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': ['error', { allow: ['error', 'warn'] }],
      eqeqeq: ['error', 'always'],
    },
  },
  { files: ['src/modules/**/*.ts'], ignores: ['src/modules/**/repo.ts'], rules: restrict(rules.plugins, rules.otherModuleInternals, rules.upward, rules.drivers) },
  { files: ['src/modules/**/repo.ts'], rules: restrict(rules.plugins, rules.otherModuleInternals, rules.upward) },
  { files: ['src/core/**/*.ts'], rules: restrict(rules.aboveCore) },
  { files: ['src/workflows/**/*.ts'], rules: restrict(rules.plugins, rules.moduleInternals, rules.jobs, rules.drivers) },
  { files: ['src/jobs/**/*.ts'], rules: restrict(rules.plugins, rules.moduleInternals) },
  {
    files: ['scripts/**', 'prisma/**', 'bench/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
);
