// A do-nothing HTTP proxy: forwards each request to UPSTREAM (MinIO) and pipes the bytes back.
// It measures what one extra Node.js hop costs on this machine, the floor under any API that
// streams content through itself. Started by bench/lib/pipe-proxy.ts; prints `listening <port>`.
import http from 'node:http';

const upstream = new URL(process.env.UPSTREAM!);
const agent = new http.Agent({ keepAlive: true });
const server = http.createServer((req, res) => {
  const out = http.request(
    { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, agent, headers: { ...req.headers, host: upstream.host } },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  out.on('error', () => res.destroy());
  req.pipe(out);
});
server.keepAliveTimeout = 60_000;
process.on('SIGTERM', () => server.close(() => process.exit(0)));
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
