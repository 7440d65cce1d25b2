import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

/**
 * A real HTTP server on loopback that plays a town's receiving system: it records every request
 * and answers what `respond` says (a status, or 'hang' to never answer).
 */
export async function startReceiver(respond: (req: Received, n: number) => number | 'hang' | { status: number; headers: Record<string, string> } = () => 204) {
  const received: Received[] = [];
  const waiters: { pred: (r: Received[]) => boolean; resolve: () => void }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        path: req.url ?? '',
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      received.push(r);
      for (const w of [...waiters]) {
        if (!w.pred(received)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      const answer = respond(r, received.length);
      if (answer === 'hang') return;
      if (typeof answer === 'number') res.writeHead(answer).end('ok');
      else res.writeHead(answer.status, answer.headers).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    received,
    /** Resolves when the requests received so far satisfy `pred`; rejects after `ms`. */
    until(pred: (r: Received[]) => boolean, ms = 30_000) {
      if (pred(received)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const w = { pred, resolve };
        waiters.push(w);
        setTimeout(() => {
          if (waiters.includes(w)) reject(new Error(`receiver: condition not met within ${ms} ms (${received.length} requests)`));
        }, ms).unref();
      });
    },
    events: () => received.map((r) => JSON.parse(r.body) as { id: string; type: string; [k: string]: unknown }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
