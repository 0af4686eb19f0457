// A round-robin HTTP proxy for tests (a fixture, not a product feature): each REQUEST goes to the next
// backend in turn — not each connection, as a TCP balancer would do — so the requests of one blob
// upload sent over one keep-alive connection land on different registries. It records who served what.
import { Agent, createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServedRequest {
  method: string;
  path: string;
  /** Index of the backend that answered. */
  backend: number;
  status: number;
}

export interface RoundRobinProxy {
  url: string;
  host: string;
  served: ServedRequest[];
  stop(): Promise<void>;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'upgrade'];

function forwardable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out = { ...headers };
  for (const h of HOP_BY_HOP) delete out[h];
  return out;
}

/** Starts the proxy on 127.0.0.1 in front of `backends` (base URLs such as http://127.0.0.1:5001). */
export async function startRoundRobinProxy(backends: string[]): Promise<RoundRobinProxy> {
  const agent = new Agent({ keepAlive: true });
  const served: ServedRequest[] = [];
  let next = 0;
  const server = createServer((req, res) => {
    const backend = next++ % backends.length;
    const target = new URL(backends[backend]);
    const entry: ServedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', backend, status: 0 };
    served.push(entry);
    const upstream = request({
      host: target.hostname, port: target.port, method: req.method, path: req.url, headers: forwardable(req.headers), agent,
    }, (answer) => {
      entry.status = answer.statusCode ?? 0;
      res.writeHead(answer.statusCode ?? 502, forwardable(answer.headers));
      answer.pipe(res);
    });
    upstream.on('error', (err) => {
      entry.status = 502;
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`proxy: ${err.message}`);
    });
    req.on('aborted', () => upstream.destroy());
    req.pipe(upstream);
  });
  // As the registries behind it: idle connections stay until the client closes them, and a request
  // body (a 20 MiB chunk on a loaded machine) may take as long as it takes (Node's default cut is 300 s).
  server.keepAliveTimeout = 0;
  server.requestTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    served,
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      agent.destroy();
    }),
  };
}
