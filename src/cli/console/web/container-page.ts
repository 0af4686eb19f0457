/** A container's page: its actions (start, stop, ...), and its stats once a second. */
import { postJson } from './page-fetch.js';

interface StatsEntry {
  cpuPercentage: number;
  memory: number;
  memoryLimit: number;
  memoryPercentage: number;
  networkRx: number;
  networkTx: number;
  pidsCurrent: number;
}

const page = document.getElementById('page')!;
const name = page.dataset.container!;
const status = document.getElementById('status')!;

function size(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (bytes >= 1024 && i < units.length - 1) {
    bytes /= 1024;
    i++;
  }
  return `${bytes.toFixed(i ? 1 : 0)} ${units[i]}`;
}

for (const button of page.querySelectorAll<HTMLButtonElement>('button[data-action]')) {
  button.addEventListener('click', () => {
    const action = button.dataset.action!;
    status.textContent = `${action}...`;
    postJson(`/api/containers/${encodeURIComponent(name)}/${action}`, {}).then(() => {
      if (action === 'remove') location.assign('/containers');
      else location.reload();
    }, (err: unknown) => {
      status.textContent = err instanceof Error ? err.message : String(err);
      status.classList.add('error');
    });
  });
}

const stat = (key: string): HTMLElement => page.querySelector(`[data-stat="${key}"]`)!;
if (page.querySelector('[data-fact="State"]')?.textContent === 'running') {
  const stats = new EventSource(`/api/containers/${encodeURIComponent(name)}/stats`);
  stats.onmessage = (e) => {
    const s = JSON.parse(e.data as string) as StatsEntry;
    stat('cpu').textContent = `${s.cpuPercentage.toFixed(2)}%`;
    stat('mem').textContent = `${size(s.memory)} / ${size(s.memoryLimit)} (${s.memoryPercentage.toFixed(2)}%)`;
    stat('net').textContent = `${size(s.networkRx)} in / ${size(s.networkTx)} out`;
    stat('pids').textContent = String(s.pidsCurrent);
  };
  stats.onerror = () => stats.close();
}
