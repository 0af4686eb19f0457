/**
 * The console's pages, rendered on the server from the daemon's answers: each route is a URL that
 * can be shared. What changes afterwards (the list, stats, logs, the terminal) is the work of the
 * page's module in ./web/.
 */
import type { ApiClient } from '../client/api-client.js';
import { imageRows, type ApiImage } from '../render/contexts.js';
import { NetworkContext, VolumeContext, type ApiNetwork, type ApiVolume } from '../render/objects.js';
import { escapeHtml } from './console-http.js';
import { renderPage, table, tableOfRows } from './page-layout.js';
import { listContainers } from './container-feed.js';
import { CONTAINER_HEADERS, containerRowHtml } from './web/container-rows.js';

const enc = encodeURIComponent;

interface Inspect {
  Id: string;
  Name: string;
  Created: string;
  Config: { Image: string; Cmd?: string[] | null; Tty: boolean };
  State: { Status: string; Running: boolean; Paused: boolean; ExitCode: number; StartedAt: string; Health?: { Status: string } };
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> | null; Ports?: Record<string, { HostIp: string; HostPort: string }[] | null> | null };
}

export class Pages {
  constructor(private readonly client: ApiClient, private readonly daemon: string) {}

  async containers(): Promise<string> {
    const list = await listContainers(this.client);
    const body = `<h1>Containers</h1><p class="status" id="status"></p>
${tableOfRows(CONTAINER_HEADERS, list.map(containerRowHtml), ' id="containers"')}`;
    return renderPage({ title: 'Containers', section: 'containers', daemon: this.daemon, body, scripts: ['containers-page.js'] });
  }

  async container(name: string): Promise<string> {
    const c = await this.client.json<Inspect>('GET', `/containers/${enc(name)}/json`);
    const shown = c.Name.replace(/^\//, '');
    const ports = Object.entries(c.NetworkSettings?.Ports ?? {})
      .map(([p, b]) => (b?.length ? b.map((x) => `${x.HostIp}:${x.HostPort}->${p}`).join(', ') : p)).join(', ');
    const facts: [string, string][] = [
      ['ID', c.Id], ['Image', c.Config.Image], ['Command', (c.Config.Cmd ?? []).join(' ')], ['State', c.State.Status],
      ['Health', c.State.Health?.Status ?? ''], ['Exit code', c.State.Running ? '' : String(c.State.ExitCode)],
      ['Started', c.State.StartedAt], ['Created', c.Created], ['TTY', String(c.Config.Tty)],
      ['Networks', Object.entries(c.NetworkSettings?.Networks ?? {}).map(([n, v]) => `${n} ${v.IPAddress ?? ''}`.trim()).join(', ')],
      ['Ports', ports],
    ];
    const dl = facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd data-fact="${escapeHtml(k)}">${escapeHtml(v)}</dd>`).join('');
    const actions = ['start', 'stop', 'restart', 'pause', 'unpause', 'remove']
      .map((a) => `<button type="button" data-action="${a}">${a[0]!.toUpperCase()}${a.slice(1)}</button>`).join('');
    const base = `/containers/${enc(shown)}`;
    const body = `<h1>${escapeHtml(shown)}</h1>
<p><a href="${base}/logs">Logs</a> · <a href="${base}/terminal">Terminal</a> · <a href="${base}/attach">Attach</a></p>
<dl class="summary">${dl}</dl><div class="actions">${actions}</div><p class="status" id="status"></p>
<h2>Stats</h2><dl class="summary" id="stats"><dt>CPU</dt><dd data-stat="cpu">-</dd><dt>Memory</dt><dd data-stat="mem">-</dd><dt>Network</dt><dd data-stat="net">-</dd><dt>PIDs</dt><dd data-stat="pids">-</dd></dl>`;
    return renderPage({
      title: shown, section: 'containers', daemon: this.daemon, scripts: ['container-page.js'],
      body: `<div id="page" data-container="${escapeHtml(shown)}">${body}</div>`,
    });
  }

  async logs(name: string): Promise<string> {
    const c = await this.client.json<Inspect>('GET', `/containers/${enc(name)}/json`);
    const shown = c.Name.replace(/^\//, '');
    const body = `<h1><a href="/containers/${enc(shown)}">${escapeHtml(shown)}</a> logs</h1>
<div class="toolbar"><input id="search" type="search" placeholder="Search" aria-label="Search the log">
<button type="button" id="prev">Previous</button><button type="button" id="next">Next</button>
<label><input type="checkbox" id="follow" checked> Follow</label><span class="status" id="status"></span></div>
<div id="log" data-container="${escapeHtml(shown)}" tabindex="0"><div class="rows"></div></div>`;
    return renderPage({ title: `${shown} logs`, section: 'containers', daemon: this.daemon, body, scripts: ['logs-page.js'] });
  }

  /** The terminal page: `kind` exec (a shell, or ?cmd=) or attach; `session` when the URL names one. */
  async terminal(name: string, kind: 'exec' | 'attach', session: string | undefined, cmd: string | null): Promise<string> {
    const c = await this.client.json<Inspect>('GET', `/containers/${enc(name)}/json`);
    const shown = c.Name.replace(/^\//, '');
    const what = kind === 'exec' ? 'terminal' : 'attach';
    const attrs = [`data-container="${escapeHtml(shown)}"`, `data-kind="${kind}"`,
      session ? `data-session="${escapeHtml(session)}"` : '', cmd ? `data-cmd="${escapeHtml(cmd)}"` : ''].filter(Boolean).join(' ');
    const body = `<div class="toolbar"><strong><a href="/containers/${enc(shown)}">${escapeHtml(shown)}</a> ${what}</strong>
<span class="status" id="status">connecting</span><button type="button" id="share">Share</button><span id="share-url" class="mono"></span></div>
<div class="term-wrap"><div id="terminal" ${attrs}></div></div>`;
    return renderPage({
      title: `${shown} ${what}`, section: 'containers', daemon: this.daemon, body,
      scripts: ['terminal-page.js'], styles: ['/assets/xterm/xterm.css'],
    });
  }

  async images(): Promise<string> {
    const images = await this.client.json<ApiImage[]>('GET', '/images/json');
    const rows = imageRows(images, true, false).map((r) => [r.Repository(), r.Tag(), r.ID(), r.CreatedSince(), r.Size()].map((x) => escapeHtml(x)));
    return this.list('images', 'Images', ['Repository', 'Tag', 'Image ID', 'Created', 'Size'], rows);
  }

  async volumes(): Promise<string> {
    const { Volumes } = await this.client.json<{ Volumes: ApiVolume[] | null }>('GET', '/volumes');
    const rows = (Volumes ?? []).map((v) => new VolumeContext(v)).map((v) => [v.Driver(), v.Name(), v.Mountpoint()].map((x) => escapeHtml(x)));
    return this.list('volumes', 'Volumes', ['Driver', 'Volume name', 'Mountpoint'], rows);
  }

  async networks(): Promise<string> {
    const networks = await this.client.json<ApiNetwork[]>('GET', '/networks');
    const rows = networks.map((n) => new NetworkContext(n, true)).map((n) => [n.ID(), n.Name(), n.Driver(), n.Scope()].map((x) => escapeHtml(x)));
    return this.list('networks', 'Networks', ['Network ID', 'Name', 'Driver', 'Scope'], rows);
  }

  private list(section: 'images' | 'volumes' | 'networks', title: string, headers: string[], rows: string[][]): string {
    const body = `<h1>${title}</h1>${rows.length ? table(headers, rows) : `<p>No ${section}.</p>`}`;
    return renderPage({ title, section, daemon: this.daemon, body });
  }
}
