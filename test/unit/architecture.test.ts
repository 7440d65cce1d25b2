import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The shape of the code is enforced by lint (eslint.config.js): core ← modules ← workflows ←
 * routes/jobs, a module reaches another only through its index.ts, nothing imports plugins, and
 * only a repo talks to Prisma. These fixtures prove the rule fails where it must.
 */
const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

async function restricted(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nvoid x;\n`, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message.split('. ')[0]!);
}

describe('the import rules', () => {
  it.each([
    ['src/modules/grants/service.ts', "import { recordsRepo as x } from '../records/repo.js';", "'../records/repo.js' import is restricted from being used by a pattern"],
    ['src/modules/records/service/files.ts', "import { x } from '../../audit/writer.js';", "'../../audit/writer.js' import is restricted from being used by a pattern"],
    ['src/modules/records/routes/files.ts', "import { x } from '../../../plugins/idempotency.js';", "'../../../plugins/idempotency.js' import is restricted from being used by a pattern"],
    ['src/modules/records/service/files.ts', "import { x } from '../../../generated/prisma/client.js';", "'../../../generated/prisma/client.js' import is restricted from being used by a pattern"],
    ['src/modules/webhooks/service.ts', "import { x } from '../../jobs/index.js';", "'../../jobs/index.js' import is restricted from being used by a pattern"],
    ['src/core/uow.ts', "import { x } from '../modules/records/index.js';", "'../modules/records/index.js' import is restricted from being used by a pattern"],
    ['src/workflows/close-file.ts', "import { x } from '../modules/records/repo.js';", "'../modules/records/repo.js' import is restricted from being used by a pattern"],
    ['src/jobs/registry.ts', "import { x } from '../plugins/auth.js';", "'../plugins/auth.js' import is restricted from being used by a pattern"],
  ])('%s: %s is refused', async (file, source, message) => {
    expect(await restricted(file, source)).toEqual([message]);
  });

  it.each([
    ['src/modules/grants/service.ts', "import { x } from '../records/index.js';"],
    ['src/modules/records/service/files.ts', "import { x } from '../repo.js';"],
    ['src/modules/records/repo.ts', "import { x } from '../../generated/prisma/client.js';"],
    ['src/workflows/close-file.ts', "import { x } from '../modules/records/index.js';"],
    ['src/jobs/registry.ts', "import { x } from '../modules/webhooks/index.js';"],
    ['src/app.ts', "import { x } from './plugins/auth.js';"],
  ])('%s: %s is allowed', async (file, source) => {
    expect(await restricted(file, source)).toEqual([]);
  });
});
