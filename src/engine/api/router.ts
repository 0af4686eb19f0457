import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Engine } from '../services/engine.js';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/** The raw connection of a request that asked to switch protocols (`Upgrade: tcp` or `websocket`). */
export interface Upgrade {
  socket: Duplex;
  head: Buffer;
}

export interface RequestContext {
  engine: Engine;
  req: IncomingMessage;
  /** Absent when the client asked for an upgrade: use `ctx.hijack()` or `ctx.upgrade`. */
  res?: ServerResponse;
  upgrade?: Upgrade;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The API version the client asked for (from the /v1.NN prefix), or the daemon's own. */
  apiVersion: string;
  /** What a JSON reply goes through before it is sent (a viewer's view with secrets masked: viewer-redaction.ts). */
  redact?: (body: unknown) => unknown;
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;

export interface Route {
  method: Method;
  /** A path template: `{id}` matches one segment, `{name:.*}` matches the rest, slashes included. */
  path: string;
  handler: Handler;
}

interface CompiledRoute extends Route {
  pattern: RegExp;
  names: string[];
}

/** Matches method + path against a table of routes. HEAD falls back to GET. */
export class Router {
  private readonly compiled: CompiledRoute[] = [];

  add(routes: Route[]): void {
    for (const route of routes) this.compiled.push(compile(route));
  }

  match(method: string, path: string): { route: Route; params: Record<string, string> } | 'method-not-allowed' | undefined {
    let pathMatched = false;
    for (const wanted of method === 'HEAD' ? ['HEAD', 'GET'] : [method]) {
      for (const route of this.compiled) {
        const m = route.pattern.exec(path);
        if (!m) continue;
        pathMatched = true;
        if (route.method !== wanted) continue;
        const params: Record<string, string> = {};
        route.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1])));
        return { route, params };
      }
    }
    return pathMatched ? 'method-not-allowed' : undefined;
  }
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  let source = '';
  let last = 0;
  for (const m of route.path.matchAll(/\{(\w+)(:\.\*)?\}/g)) {
    source += escapeRegExp(route.path.slice(last, m.index)) + (m[2] ? '(.+)' : '([^/]+)');
    names.push(m[1]);
    last = m.index! + m[0].length;
  }
  source += escapeRegExp(route.path.slice(last));
  return { ...route, names, pattern: new RegExp(`^${source}/?$`) };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
