// A small HTTP front of the test's own before an upstream registry: it forwards every request, counts
// them, and can be switched to answer 429, to cut blob bodies in half, or be closed (a test fixture,
// not a product feature).
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FrontMode = 'forward' | '429' | 'cut-blobs';

export interface UpstreamFront {
  url: string;
  /** Requests seen, in order: "HEAD /v2/org/img/manifests/1". */
  readonly seen: string[];
  mode: FrontMode;
  close(): Promise<void>;
}

export async function startUpstreamFront(target: string): Promise<UpstreamFront> {
  const to = new URL(target);
  const front = { seen: [] as string[], mode: 'forward' as FrontMode };
  const server: Server = createServer((req, res) => {
    front.seen.push(`${req.method} ${req.url}`);
    if (front.mode === '429') {
      req.resume();
      res.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': '60' });
      res.end(JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'rate limit exceeded' }] }));
      return;
    }
    const cut = front.mode === 'cut-blobs' && req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '');
    const upstream = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } },
      (reply: IncomingMessage) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        if (!cut) { reply.pipe(res); return; }
        const half = Math.floor(Number(reply.headers['content-length'] ?? 0) / 2);
        let sent = 0;
        reply.on('data', (chunk: Buffer) => {
          if (sent + chunk.length >= half) { res.write(chunk.subarray(0, half - sent)); reply.destroy(); res.destroy(); return; }
          sent += chunk.length;
          res.write(chunk);
        });
      });
    upstream.on('error', (err) => {
      if (res.headersSent) { res.destroy(); return; }
      res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`upstream front: ${err.message}`);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return Object.assign(front, {
    url: `http://127.0.0.1:${port}`,
    close: () => (closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    })),
  });
}
