import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Engine } from '../services/engine.js';
import { NotFoundError, InvalidArgumentError } from '../../lib/errors.js';
import { Router, type RequestContext } from './router.js';
import { apiHeaders, sendError } from './http.js';
import { AuditLog } from './audit-log.js';
import { CorsPolicy } from './cors.js';
import { AccessControl, refusalError, type AccessDecision } from './access-control.js';
import { parseAuthorization } from '../base/access-roles.js';
import * as system from './system.js';
import * as containers from './containers.js';
import * as images from './images.js';
import * as volumes from './volumes.js';
import * as networks from './networks.js';
import * as auth from './auth.js';
import * as containerFiles from './container-files.js';
import * as exec from './exec.js';
import * as build from './build.js';
import * as imageArchives from './image-archives.js';
import * as events from './events.js';
import * as swarm from './swarm.js';
import * as systemDf from './system-df.js';

/** Every resource's route table. */
export const RESOURCES = [system, containers, images, volumes, networks, auth, containerFiles, build, exec, imageArchives, events, swarm, systemDf];

const VERSION_PREFIX = /^\/v(\d+)\.(\d+)(?=\/)/;

/** The engine API: one request handler for every listener (unix socket, TCP, TLS). */
export class ApiServer {
  private readonly router = new Router();
  private readonly audit: AuditLog;
  private readonly cors: CorsPolicy;
  private readonly access: AccessControl;

  constructor(private readonly engine: Engine) {
    for (const resource of RESOURCES) this.router.add(resource.routes(engine));
    this.audit = new AuditLog(engine.config.auditLog);
    this.cors = new CorsPolicy(engine.config.corsHeaders);
    this.access = new AccessControl(parseAuthorization(engine.config.authorization), engine.log);
  }

  /** Reopens the audit log file (after it was rotated away). */
  reopenAuditLog(): void {
    this.audit.reopen();
  }

  handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    void this.dispatch(req, res, undefined);
  };

  handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    void this.dispatch(req, undefined, { socket, head });
  };

  private async dispatch(req: IncomingMessage, res: ServerResponse | undefined, upgrade: RequestContext['upgrade']): Promise<void> {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://berthd');
    const ctx: RequestContext = {
      engine: this.engine, req, res, upgrade, params: {}, query: url.searchParams, apiVersion: this.engine.apiVersion,
    };
    const who = this.access.identify(req.socket);
    let decision: AccessDecision = { who, allowed: true };
    if (res) {
      for (const [k, v] of Object.entries(apiHeaders(ctx))) res.setHeader(k, v);
      for (const [k, v] of Object.entries(this.cors.headers(req.headers.origin))) res.setHeader(k, v);
      res.on('finish', () => this.audit.record(req, res.statusCode, started, decision));
    }
    try {
      let path = url.pathname;
      const prefix = VERSION_PREFIX.exec(path);
      if (prefix) {
        ctx.apiVersion = `${prefix[1]}.${prefix[2]}`;
        this.checkVersion(ctx.apiVersion);
        path = path.slice(prefix[0].length);
      }
      if (req.method === 'OPTIONS' && res) {
        // dockerd answers OPTIONS on any path (a browser's CORS preflight) with 200
        res.writeHead(200, { 'Content-Length': 0 }).end();
        return;
      }
      const found = this.router.match(req.method ?? 'GET', path);
      const routed = found && found !== 'method-not-allowed' ? found : undefined;
      decision = routed
        ? this.access.decide(who, routed.route.method, routed.route.path, url.searchParams)
        : this.access.decideUnrouted(who, req.method ?? 'GET', path);
      if (!res) this.audit.record(req, decision.allowed ? 101 : 403, started, decision);
      if (!decision.allowed) {
        this.engine.log.warn(decision.refusal!);
        throw refusalError(decision);
      }
      if (!routed) throw new NotFoundError('page not found');
      ctx.params = routed.params;
      ctx.redact = decision.redact;
      await routed.route.handler(ctx);
    } catch (err) {
      sendError(ctx, err);
    }
  }

  private checkVersion(version: string): void {
    const [major, minor] = version.split('.').map(Number);
    const [maxMajor, maxMinor] = this.engine.apiVersion.split('.').map(Number);
    const [minMajor, minMinor] = this.engine.minApiVersion.split('.').map(Number);
    if (major > maxMajor || (major === maxMajor && minor > maxMinor)) {
      throw new InvalidArgumentError(`client version ${version} is too new. Maximum supported API version is ${this.engine.apiVersion}`);
    }
    if (major < minMajor || (major === minMajor && minor < minMinor)) {
      throw new InvalidArgumentError(`client version ${version} is too old. Minimum supported API version is ${this.engine.minApiVersion}, please upgrade your client to a newer version`);
    }
  }
}
