/**
 * A container's log, all of it, followed: the text streams in and is split into lines; only the rows
 * in view exist in the page (a virtual list of fixed-height rows), each rendered from its ANSI
 * colours when it scrolls into view, so 100,000 lines paint as fast as 50. Search finds lines in the
 * plain text and scrolls to them.
 */
import { parseAnsi, plainText } from './ansi.js';

const ROW = 18;
const OVERSCAN = 20;

interface LogsState {
  lines: number;
  /** ms from navigation start to the first rows on screen. */
  firstPaint?: number;
  done: boolean;
  /** The line the search is on (-1: none). */
  current: number;
}

declare global {
  interface Window {
    berthLogs: LogsState;
  }
}

const log = document.getElementById('log')!;
const rows = log.querySelector<HTMLElement>('.rows')!;
const sizer = document.createElement('div');
log.prepend(sizer);
const status = document.getElementById('status')!;
const followBox = document.getElementById('follow') as HTMLInputElement;
const searchBox = document.getElementById('search') as HTMLInputElement;
const name = log.dataset.container!;

const lines: string[] = [];
const state: LogsState = { lines: 0, done: false, current: -1 };
window.berthLogs = state;
let matches: number[] = [];
let query = '';
let scheduled = false;

function renderRow(i: number): HTMLElement {
  const row = document.createElement('div');
  row.className = 'row';
  if (i === state.current) row.classList.add('current');
  else if (query && matches.length && plainText(lines[i]!).toLowerCase().includes(query)) row.classList.add('match');
  row.dataset.line = String(i);
  for (const seg of parseAnsi(lines[i]!)) {
    const s = seg.style;
    if (!s.fg && !s.bg && !s.bold && !s.dim && !s.italic && !s.underline && !s.inverse) {
      row.append(seg.text);
      continue;
    }
    const span = document.createElement('span');
    span.textContent = seg.text;
    const [fg, bg] = s.inverse ? [s.bg ?? 'var(--bg)', s.fg ?? 'var(--fg)'] : [s.fg, s.bg];
    if (fg) span.style.color = fg;
    if (bg) span.style.backgroundColor = bg;
    if (s.bold) span.classList.add('a-b');
    if (s.dim) span.classList.add('a-d');
    if (s.italic) span.classList.add('a-i');
    if (s.underline) span.classList.add('a-u');
    row.append(span);
  }
  return row;
}

function render(): void {
  scheduled = false;
  sizer.style.height = `${lines.length * ROW}px`;
  const first = Math.max(0, Math.floor(log.scrollTop / ROW) - OVERSCAN);
  const last = Math.min(lines.length, Math.ceil((log.scrollTop + log.clientHeight) / ROW) + OVERSCAN);
  rows.style.top = `${first * ROW}px`;
  const fragment = document.createDocumentFragment();
  for (let i = first; i < last; i++) fragment.append(renderRow(i));
  rows.replaceChildren(fragment);
  if (state.firstPaint === undefined && lines.length > 0) state.firstPaint = performance.now();
  state.lines = lines.length;
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(render);
}

function atBottom(): boolean {
  return log.scrollTop + log.clientHeight >= log.scrollHeight - ROW * 2;
}

function append(text: string): void {
  const follow = followBox.checked && atBottom();
  const start = lines.length;
  for (const line of text.split('\n')) lines.push(line.endsWith('\r') ? line.slice(0, -1) : line);
  if (query) for (let i = start; i < lines.length; i++) if (plainText(lines[i]!).toLowerCase().includes(query)) matches.push(i);
  if (follow) {
    sizer.style.height = `${lines.length * ROW}px`;
    log.scrollTop = log.scrollHeight;
  }
  schedule();
}

async function stream(): Promise<void> {
  const res = await fetch(`/api/containers/${encodeURIComponent(name)}/logs?follow=1&tail=all`, { credentials: 'same-origin' });
  if (!res.ok || !res.body) throw new Error(`${res.status} ${await res.text()}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let partial = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const text = partial + value;
    const nl = text.lastIndexOf('\n');
    if (nl < 0) {
      partial = text;
      continue;
    }
    partial = text.slice(nl + 1);
    append(text.slice(0, nl));
  }
  if (partial) append(partial);
  state.done = true;
  status.textContent = `${lines.length} lines (the container has stopped)`;
}

/** Moves to the next (or previous) line matching the search, wrapping around. */
function find(step: 1 | -1): void {
  const q = searchBox.value.toLowerCase();
  if (q !== query) {
    query = q;
    matches = [];
    if (q) lines.forEach((l, i) => { if (plainText(l).toLowerCase().includes(q)) matches.push(i); });
    state.current = -1;
  }
  if (!q || matches.length === 0) {
    state.current = -1;
    status.textContent = q ? 'no match' : '';
    schedule();
    return;
  }
  let k = matches.findIndex((i) => (step === 1 ? i > state.current : i >= state.current));
  if (step === -1) k = (k < 0 ? matches.length : k) - 1;
  if (k < 0 || k >= matches.length) k = step === 1 ? 0 : matches.length - 1;
  state.current = matches[k]!;
  followBox.checked = false;
  log.scrollTop = Math.max(0, state.current * ROW - log.clientHeight / 2);
  status.textContent = `match ${k + 1} of ${matches.length} (line ${state.current + 1})`;
  schedule();
}

log.addEventListener('scroll', schedule);
new ResizeObserver(schedule).observe(log);
searchBox.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') find(e.shiftKey ? -1 : 1);
});
document.getElementById('next')!.addEventListener('click', () => find(1));
document.getElementById('prev')!.addEventListener('click', () => find(-1));
stream().catch((err: unknown) => {
  status.textContent = String(err);
  status.classList.add('error');
});
