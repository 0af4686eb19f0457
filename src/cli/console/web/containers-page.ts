/** The containers list, kept current from the console's event stream (a new list on every change). */
import { containerRowHtml, type ContainerSummary } from './container-rows.js';

const body = document.querySelector('#containers tbody')!;
const status = document.getElementById('status')!;
const source = new EventSource('/api/containers/events');
source.onmessage = (e) => {
  const list = JSON.parse(e.data as string) as ContainerSummary[];
  body.innerHTML = list.map(containerRowHtml).join('\n');
  status.textContent = '';
};
source.onerror = () => {
  status.textContent = 'lost the console; retrying';
};
