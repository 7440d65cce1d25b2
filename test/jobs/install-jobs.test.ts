import pg from 'pg';
import { expect, inject, it } from 'vitest';
import { ALL_QUEUES, installJobs } from '../../src/jobs/index.js';
import { APP_ROLE } from '../../src/db/client.js';

// Instances starting at once all install the job queues and grant the API role its privileges:
// none may fail on another's concurrent grant ("tuple concurrently updated").
it('installs the job queues from six instances at once, and the API role may use them', async () => {
  const results = await Promise.allSettled(Array.from({ length: 6 }, () => installJobs(inject('ownerUrl'), ALL_QUEUES)));
  expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
  const owner = new pg.Client({ connectionString: inject('ownerUrl') });
  await owner.connect();
  try {
    const { rows } = await owner.query<{ ok: boolean }>(`SELECT has_table_privilege($1, 'pgboss.job', 'INSERT') AS ok`, [APP_ROLE]);
    expect(rows[0]!.ok).toBe(true);
  } finally {
    await owner.end();
  }
});
