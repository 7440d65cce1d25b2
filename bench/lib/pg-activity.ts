import pg from 'pg';

/**
 * Samples what the database connections that are not idle are doing while a measurement runs:
 * active in a query, waiting for a lock (which one), or idle in a transaction (waiting for the Node
 * process). Average connections per state tell a lock queue from a busy service.
 */
export async function sampleActivity(ownerUrl: string, everyMs = 100) {
  const db = new pg.Client({ connectionString: ownerUrl });
  await db.connect();
  const totals = new Map<string, number>();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const res = await db.query<{ state: string; n: string }>(
        `SELECT coalesce(state, '?') || coalesce(' / ' || wait_event_type || ':' || wait_event, '') AS state, count(*) AS n
         FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' AND state <> 'idle'
         GROUP BY 1`,
      );
      samples++;
      for (const r of res.rows) totals.set(r.state, (totals.get(r.state) ?? 0) + Number(r.n));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop(): Promise<Record<string, number>> {
      running = false;
      await loop;
      await db.end();
      return Object.fromEntries(
        [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round((v / Math.max(1, samples)) * 10) / 10]),
      );
    },
  };
}
