/**
 * The containers list as it changes: one subscription to the daemon's /events (container events
 * only) while any page listens, each event followed by a fresh /containers/json sent to every page
 * as a server-sent event; a daemon without /events (or whose stream breaks) is polled every second.
 */
import type { ServerResponse } from 'node:http';
import type { ApiClient } from '../client/api-client.js';
import { displayablePorts, type ApiContainer } from '../render/contexts.js';
import type { ContainerSummary } from './web/container-rows.js';
import { errorMessage } from '../../lib/errors.js';

const POLL_MS = 1000;
/** Events come in bursts (create, attach, start): one refresh for a burst. */
const SETTLE_MS = 40;

export function summarise(c: ApiContainer): ContainerSummary {
  const status = c.Status ?? '';
  const health = /\((healthy|unhealthy|health: starting)\)/.exec(status)?.[1]?.replace('health: ', '') ?? '';
  return {
    id: c.Id,
    name: (c.Names ?? []).map((n) => n.replace(/^\//, '')).find((n) => !n.includes('/')) ?? c.Id.slice(0, 12),
    image: c.Image ?? '',
    state: c.State ?? '',
    status,
    health,
    ports: displayablePorts(c.Ports),
  };
}

export async function listContainers(client: ApiClient): Promise<ContainerSummary[]> {
  const list = await client.json<ApiContainer[]>('GET', '/containers/json', { query: { all: true } });
  return list.map(summarise);
}

export class ContainerFeed {
  private readonly pages = new Set<ServerResponse>();
  private events: { destroy(): void } | undefined;
  private poll: NodeJS.Timeout | undefined;
  private settle: NodeJS.Timeout | undefined;
  private last = '';

  constructor(private readonly client: ApiClient, private readonly warn: (message: string) => void) {}

  /** Streams the list to a page (text/event-stream) until it goes away. */
  subscribe(res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write(': berth console\n\n');
    this.pages.add(res);
    res.on('close', () => {
      this.pages.delete(res);
      if (this.pages.size === 0) this.stop();
    });
    if (this.last) res.write(this.last);
    if (!this.events && !this.poll) this.start();
    this.refreshSoon();
  }

  close(): void {
    for (const res of this.pages) res.end();
    this.pages.clear();
    this.stop();
  }

  private start(): void {
    const filters = JSON.stringify({ type: { container: true } });
    this.client.stream('GET', '/events', { query: { filters } }).then((stream) => {
      if (this.pages.size === 0) {
        stream.destroy();
        return;
      }
      this.events = stream;
      stream.on('data', () => this.refreshSoon());
      stream.on('error', (err) => this.warn(`console: the daemon's event stream: ${errorMessage(err)}`));
      stream.on('close', () => {
        if (this.events !== stream) return;
        this.events = undefined;
        if (this.pages.size > 0) this.startPolling('the event stream ended');
      });
    }, (err: unknown) => this.startPolling(errorMessage(err)));
  }

  private startPolling(why: string): void {
    if (this.poll || this.pages.size === 0) return;
    this.warn(`console: following containers by polling every second (${why})`);
    this.poll = setInterval(() => this.refreshSoon(), POLL_MS);
  }

  private stop(): void {
    const events = this.events;
    this.events = undefined;
    events?.destroy();
    clearInterval(this.poll);
    this.poll = undefined;
    clearTimeout(this.settle);
    this.settle = undefined;
    this.last = '';
  }

  private refreshSoon(): void {
    if (this.settle) return;
    this.settle = setTimeout(() => {
      this.settle = undefined;
      listContainers(this.client).then((list) => {
        const message = `data: ${JSON.stringify(list)}\n\n`;
        if (message === this.last) return;
        this.last = message;
        for (const res of this.pages) res.write(message);
      }, (err: unknown) => this.warn(`console: listing containers: ${errorMessage(err)}`));
    }, SETTLE_MS);
  }
}
