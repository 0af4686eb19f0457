/**
 * One row of the containers list, as the server renders it in the page and as the page renders it
 * again when the list changes: one function for both, so both look the same.
 */
import { escapeHtml } from './html.js';

/** What the list shows of a container (made by the server from the daemon's /containers/json). */
export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  state: string;
  status: string;
  /** "healthy", "unhealthy", "starting" or "" (no health check). */
  health: string;
  ports: string;
}

export const CONTAINER_HEADERS = ['Name', 'State', 'Image', 'Status', 'Health', 'Ports', ''];

export function containerRowHtml(c: ContainerSummary): string {
  const name = encodeURIComponent(c.name);
  const cells = [
    `<a href="/containers/${name}">${escapeHtml(c.name)}</a>`,
    `<span class="state-${escapeHtml(c.state)}">${escapeHtml(c.state)}</span>`,
    `<span class="mono">${escapeHtml(c.image)}</span>`,
    escapeHtml(c.status),
    c.health ? `<span class="health-${escapeHtml(c.health)}">${escapeHtml(c.health)}</span>` : '',
    `<span class="mono">${escapeHtml(c.ports)}</span>`,
    `<a href="/containers/${name}/logs">logs</a>${c.state === 'running' ? ` <a href="/containers/${name}/terminal">terminal</a>` : ''}`,
  ];
  return `<tr data-id="${escapeHtml(c.id)}">${cells.map((x) => `<td>${x}</td>`).join('')}</tr>`;
}
