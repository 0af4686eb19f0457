/**
 * The frame of every page (header, navigation, its script as a module) and the table
 * helper the list pages share. Pages are rendered on the server, so each has a URL to share; their
 * scripts only add what changes after the first paint.
 */
import { escapeHtml } from './console-http.js';

export type Section = 'containers' | 'images' | 'volumes' | 'networks';

export interface PageOptions {
  title: string;
  section: Section;
  /** The daemon the console drives, shown in the header. */
  daemon: string;
  body: string;
  /** Browser modules of the console to run (names in /assets/app/). */
  scripts?: string[];
  /** Extra stylesheets (xterm.css on terminal pages). */
  styles?: string[];
}

export function renderPage(o: PageOptions): string {
  const nav = (['containers', 'images', 'volumes', 'networks'] as Section[])
    .map((s) => `<a href="/${s}"${s === o.section ? ' aria-current="page"' : ''}>${s[0]!.toUpperCase()}${s.slice(1)}</a>`).join('');
  const styles = ['/assets/console.css', ...(o.styles ?? [])].map((href) => `<link rel="stylesheet" href="${href}">`).join('');
  const scripts = (o.scripts ?? []).map((s) => `<script type="module" src="/assets/app/${s}"></script>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(o.title)} - Berth console</title>${styles}
${scripts}</head>
<body><header><span class="brand">Berth console</span><nav>${nav}</nav><span class="daemon mono">${escapeHtml(o.daemon)}</span></header>
<main>${o.body}</main></body></html>`;
}

/** A table: header cells, then rows of cells already escaped (use escapeHtml on text). */
export function table(headers: string[], rows: string[][], attrs = ''): string {
  return tableOfRows(headers, rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`), attrs);
}

/** A table of rows already rendered as <tr> elements. */
export function tableOfRows(headers: string[], rows: string[], attrs = ''): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  return `<table${attrs}><thead><tr>${head}</tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

export function messagePage(daemon: string, title: string, message: string): string {
  return renderPage({ title, section: 'containers', daemon, body: `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>` });
}
