// The registry's HTTP(S) server: access log, API version header, route lookup, parameter checks,
// auth, then the handler; every error becomes an OCI error body.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { isDigest } from '../lib/oci-digest.js';
import { isRepositoryName, isTag } from '../lib/oci-names.js';
import { stdoutSink, trackRequest, type AccessLogSink } from './access-log.js';
import type { Authorizer } from './auth/access.js';
import { HtpasswdAuthorizer, HtpasswdFile } from './auth/htpasswd.js';
import { TokenAuthorizer } from './auth/token.js';
import { TokenServer } from './auth/token-server.js';
import { parseAddr } from './base/config.js';
import { RegistryError } from './base/errors.js';
import { discardBody, hasBody, sendError, sendJSON } from './base/http.js';
import type { Registry } from './content/registry.js';
import { matchRoute } from './routes.js';
import { matchHubRoute, serveHubRoute } from './hub-routes.js';
import { openHub, type Hub } from './hub/hub.js';
import { HubPolicy } from './hub/hub-policy.js';
import { registryLog } from './base/log.js';
import { HubPages } from './web/hub-pages.js';
import { bestEffort } from '../lib/best-effort.js';
import { PullThroughCache } from './proxy/pull-through-cache.js';
import { proxiedHandler } from './handlers/proxied.js';
import { scheduleGarbageCollection } from './gc-schedule.js';
import { clearStoppedRuns } from './gc-runs.js';
import { startHealthChecks, type HealthChecks } from './health.js';
import { scheduleUploadPurging } from './upload-purging.js';

export interface ServerOptions {
  accessLog?: AccessLogSink;
  /** Where the background garbage collection (gc.interval) reports its runs; stderr by default. */
  gcLog?: (line: string) => void;
  /** Where upload purging and health checks report; stderr by default. */
  maintenanceLog?: (line: string) => void;
}

export interface RunningServer {
  server: Server;
  /** The hub, when `hub.enabled`; closed with the server. */
  hub?: Hub;
  /** The pull-through cache, when a `proxy` section is set. */
  proxy?: PullThroughCache;
  port: number;
  url: string;
  close(): Promise<void>;
}

function checkParams(params: Record<string, string>, method: string): void {
  if (params.name !== undefined && !isRepositoryName(params.name)) {
    throw new RegistryError('NAME_INVALID', `invalid repository name ${JSON.stringify(params.name.slice(0, 300))}`, { name: params.name.slice(0, 300) });
  }
  if (params.digest !== undefined && !isDigest(params.digest)) {
    throw new RegistryError('DIGEST_INVALID', `invalid digest ${JSON.stringify(params.digest.slice(0, 200))}`);
  }
  if (params.reference !== undefined && !isTag(params.reference) && !isDigest(params.reference)) {
    // A name that cannot be a tag names no manifest: reads and deletes find nothing (404, as the
    // spec's conformance suite expects of ".INVALID_MANIFEST_NAME"); only a PUT is malformed.
    if (method !== 'PUT' && !params.reference.includes(':')) throw new RegistryError('MANIFEST_UNKNOWN', undefined, { reference: params.reference.slice(0, 200) });
    const code = params.reference.includes(':') ? 'DIGEST_INVALID' : 'TAG_INVALID';
    throw new RegistryError(code, `invalid reference ${JSON.stringify(params.reference.slice(0, 200))}`);
  }
}

export interface RegistryAuth {
  authorizer?: Authorizer;
  tokenServer?: TokenServer;
  /** The users' password file: htpasswd auth's, or the token server's. */
  users?: HtpasswdFile;
  warnings: string[];
}

export function buildAuth(registry: Registry): RegistryAuth {
  const { auth, tokenserver, hub } = registry.config;
  const warnings: string[] = [];
  let authorizer: Authorizer | undefined;
  let tokenServer: TokenServer | undefined;
  let users: HtpasswdFile | undefined;
  if (auth?.kind === 'htpasswd') {
    const file = new HtpasswdFile(auth.path);
    warnings.push(...file.warnings);
    users = file;
    authorizer = new HtpasswdAuthorizer(auth.realm, file);
  } else if (auth?.kind === 'token') {
    authorizer = new TokenAuthorizer(auth);
    if (tokenserver) {
      users = tokenserver.htpasswd ? new HtpasswdFile(tokenserver.htpasswd) : undefined;
      if (users) warnings.push(...users.warnings);
      // The hub's namespaces: push and delete only where the account may write.
      const policy = hub ? new HubPolicy(hub.admins) : undefined;
      tokenServer = new TokenServer({
        issuer: auth.issuer, service: auth.service, keyPath: tokenserver.key, certificatePath: tokenserver.certificate,
        expiration: tokenserver.expiration, acl: tokenserver.acl, users,
        restrict: policy && ((account, resource, actions) => (resource.type !== 'repository' || policy.mayWrite(account, resource.name)
          ? actions : actions.filter((a) => a === 'pull'))),
      });
    }
  }
  return { authorizer, tokenServer, users, warnings };
}

/** The hub of the registry (undefined when hub.enabled is false), with the registry's users. */
export function openRegistryHub(registry: Registry, auth: RegistryAuth): Hub | undefined {
  return openHub(registry, {
    authorizer: auth.authorizer, users: auth.users, basicIsNative: registry.config.auth?.kind === 'htpasswd',
    enforce: registry.config.auth?.kind === 'htpasswd' || auth.tokenServer !== undefined,
  }, registryLog);
}

export function createRequestListener(registry: Registry, options: ServerOptions = {}, auth: RegistryAuth = buildAuth(registry), hub?: Hub,
  proxy?: PullThroughCache, health?: HealthChecks) {
  const { authorizer, tokenServer } = auth;
  const pages = hub ? new HubPages({
    store: hub.store, users: auth.users, signInRequired: registry.config.auth !== undefined && registry.config.hub?.public !== true, secure: registry.config.http.tls !== undefined,
  }) : undefined;
  const sink = registry.config.accessLog ? (options.accessLog ?? stdoutSink) : undefined;
  const extraHeaders = registry.config.http.headers;

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let user: string | undefined;
    if (sink) trackRequest(req, res, sink, () => user);
    res.setHeader('Docker-Distribution-Api-Version', 'registry/2.0');
    for (const [k, v] of Object.entries(extraHeaders)) res.setHeader(k, v);
    try {
      const unhealthy = health?.failure();
      if (unhealthy) throw unhealthy;
      // The raw path: URL parsing would resolve "..", and names must be checked as sent.
      const raw = req.url ?? '/';
      const q = raw.indexOf('?');
      const url = { pathname: q < 0 ? raw : raw.slice(0, q), searchParams: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
      const method = req.method ?? 'GET';
      if (url.pathname === '/token' && tokenServer) {
        if (method !== 'GET') throw new RegistryError('UNSUPPORTED', 'the token endpoint answers GET', undefined, { status: 404 });
        const body = await tokenServer.issue(req, url.searchParams);
        sendJSON(res, 200, body, { 'Cache-Control': 'no-store' });
        return;
      }
      if (pages && await pages.handle(req, res, url.pathname, url.searchParams)) return;
      const { route, params, allowed } = matchRoute(method, url.pathname);
      if (!route && allowed.length === 0 && hub) {
        const found = matchHubRoute(method, url.pathname);
        if (found.route) {
          await serveHubRoute(found.route, found.params, hub, registry, req, res, url.searchParams, (u) => { user = u; });
          return;
        }
        allowed.push(...found.allowed);
      }
      if (!route) {
        if (allowed.length > 0) {
          throw new RegistryError('UNSUPPORTED', `${method} is not supported here`).withHeaders({ Allow: [...new Set(allowed)].join(', ') });
        }
        throw new RegistryError('UNSUPPORTED', `no such endpoint ${url.pathname.slice(0, 200)}`, undefined, { status: 404 });
      }
      checkParams(params, method);
      const from = url.searchParams.get('from');
      if (url.searchParams.get('mount') !== null && from !== null && !isRepositoryName(from)) {
        throw new RegistryError('NAME_INVALID', `invalid repository name ${JSON.stringify(from.slice(0, 300))}`);
      }
      if (authorizer) user = await authorizer.authorize(req, route.access(params, url.searchParams));
      const handler = proxy ? proxiedHandler(proxy, route, params.name) : route.handler;
      if (route.writes && hub && params.name !== undefined) hub.checkWrite(user, params.name);
      if (route.writes && registry.config.readOnly) throw new RegistryError('UNSUPPORTED', 'the registry is in read-only mode');
      await handler({ req, res, registry, params, query: url.searchParams, user, hub });
    } catch (err) {
      const e = err instanceof RegistryError ? err : undefined;
      if (!e || (e.status >= 500 && e.code !== 'UNAVAILABLE')) console.error(`berth-registry: ${req.method} ${req.url}: ${(err as Error)?.stack ?? err}`);
      // A refused request body: read a small one to its end (so the client sees the answer on a
      // healthy connection), close the connection rather than read a large one.
      if (hasBody(req) && !req.complete && !(await discardBody(req, 1024 * 1024))) res.setHeader('Connection', 'close');
      sendError(res, err);
    }
  };
}

/** Starts serving on the configured address (http.addr, TLS when http.tls is set). */
export async function startServer(registry: Registry, options: ServerOptions = {}): Promise<RunningServer> {
  const auth = buildAuth(registry);
  const hub = openRegistryHub(registry, auth);
  const proxy = registry.config.proxy ? new PullThroughCache(registry, registry.config.proxy, registryLog) : undefined;
  const maintenanceLog = options.maintenanceLog ?? ((line: string) => console.error(`berth-registry: ${line}`));
  const health = startHealthChecks(registry, maintenanceLog);
  // Tombstones a collection in a process that is gone left behind would block pushes until their lease ends.
  await bestEffort({ warn: maintenanceLog }, 'gc: clearing the tombstones of stopped runs', clearStoppedRuns(registry.driver, { warn: maintenanceLog }));
  const listener = createRequestListener(registry, options, auth, hub, proxy, health);
  const tls = registry.config.http.tls;
  const server = tls
    ? createHttpsServer({
      cert: readFileSync(tls.certificate), key: readFileSync(tls.key), minVersion: tls.minVersion,
      ...(tls.clientCAs ? { ca: tls.clientCAs.map((f) => readFileSync(f)), requestCert: true, rejectUnauthorized: true } : {}),
    }, listener)
    : createHttpServer(listener);
  server.requestTimeout = 0; // uploads of large layers may take long
  server.headersTimeout = 60_000;
  // Idle kept-alive connections stay until the client closes them, as with distribution (Go's server
  // without IdleTimeout). Closing them after 65 s raced with clients reusing them at 64 s (undici's
  // hint less 1 s, later under load): a request written as the close arrived failed ("fetch failed").
  server.keepAliveTimeout = 0;
  const unix = registry.config.http.net === 'unix';
  const { host, port } = unix ? { host: undefined, port: 0 } : parseAddr(registry.config.http.addr);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const listening = () => { server.off('error', reject); resolve(); };
      if (unix) server.listen(registry.config.http.addr, listening);
      else server.listen(port, host, listening);
    });
  } catch (err) {
    hub?.close();
    health?.stop();
    throw err;
  }
  const gc = scheduleGarbageCollection(registry, hub, options.gcLog ?? ((line) => console.error(`berth-registry: ${line}`)));
  const purging = scheduleUploadPurging(registry, maintenanceLog);
  const actual = unix ? 0 : (server.address() as AddressInfo).port;
  const shownHost = host ?? '127.0.0.1';
  return {
    server,
    hub,
    proxy,
    port: actual,
    url: unix ? `unix://${registry.config.http.addr}` : `${tls ? 'https' : 'http'}://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${actual}`,
    close: async () => {
      await gc?.stop();
      await purging?.stop();
      health?.stop();
      await new Promise<void>((resolve) => {
        server.close(() => { hub?.close(); resolve(); });
        // http.draintimeout: requests in progress may finish; idle connections go now, the rest after it.
        const drainMs = registry.config.http.drainTimeoutMs;
        if (drainMs === 0) { server.closeAllConnections(); return; }
        server.closeIdleConnections();
        const cut = setTimeout(() => server.closeAllConnections(), drainMs);
        server.once('close', () => clearTimeout(cut));
      });
      if (proxy) await bestEffort(registryLog, 'closing the connections to the upstreams', () => proxy.close());
    },
  };
}
