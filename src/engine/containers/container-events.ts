import type { EventPublisher } from '../events/event-types.js';
import type { Container } from './container.js';
import type { Transition } from './container-transitions.js';

/**
 * Docker's event for each state change of a container: the action and the attributes it adds to the
 * container's own (null: no event). `stop` and `restart` are not transitions of their own here: the
 * manager reports them when a `docker stop` / `docker restart` completes. A transition `stop` (a
 * pending restart cancelled) is told by that `stop`. A new kind of transition is one line here.
 */
const TRANSITION_EVENTS: { [K in Transition['kind']]: (t: Extract<Transition, { kind: K }>) => [string, Record<string, string>?] | null } = {
  'create': () => ['create'],
  'start': () => ['start'],
  // dockerd reports a start that failed as the end of a run, with the exit code it recorded.
  'start-failed': (t) => ['die', { exitCode: String(t.exitCode) }],
  'kill': (t) => ['kill', { signal: String(t.signal) }],
  'die': (t) => ['die', { exitCode: String(t.exitCode) }],
  'stop': () => null,
  'restore': () => null,
  'rename': (t) => ['rename', { oldName: t.oldName }],
  'pause': () => ['pause'],
  'unpause': () => ['unpause'],
  // dockerd names the new status in the action itself: `health_status: healthy`.
  'health_status': (t) => [`health_status: ${t.status}`],
  'destroy': () => ['destroy'],
};

/**
 * What a container reports besides its transitions, from where each happens: attach and detach
 * (attach sessions), exec_create/exec_start/exec_die (exec manager), commit, copy (dockerd's
 * `archive-path` and `extract-to-dir`), export, resize, top, update, and the ends of `docker stop` and
 * `docker restart`.
 */
export type ContainerAction =
  | 'attach' | 'detach' | 'commit' | 'archive-path' | 'extract-to-dir' | 'export' | 'resize' | 'top' | 'stop' | 'restart'
  | 'update'
  | 'exec_die' | `exec_create: ${string}` | `exec_start: ${string}`;

/** Publishes container events to the bus, with the attributes dockerd gives them. */
export class ContainerEvents {
  constructor(private readonly publisher: EventPublisher) {}

  /** The transition listener (ContainerManager.onTransition). */
  readonly transition = (c: Container, t: Transition): void => {
    if (t.kind === 'start') this.volumes(c, 'mount');
    const event = (TRANSITION_EVENTS[t.kind] as (t: Transition) => [string, Record<string, string>?] | null)(t);
    if (event) this.action(c, event[0], event[1]);
    if (t.kind === 'die') this.volumes(c, 'unmount');
  };

  /** A volume's `mount` when a run begins and `unmount` when it ends, with dockerd's attributes. */
  private volumes(c: Container, action: 'mount' | 'unmount'): void {
    for (const m of c.record.mounts) {
      if (m.Type !== 'volume' || !m.Name) continue;
      const attributes: Record<string, string> = { container: c.id, driver: m.Driver || 'local' };
      if (action === 'mount') Object.assign(attributes, { destination: m.Destination, propagation: m.Propagation ?? '', 'read/write': String(m.RW) });
      this.publisher.publish('volume', action, { ID: m.Name, Attributes: attributes });
    }
  }

  /** Reports `action` on `c`, with `extra` attributes beside its labels, name and image. */
  action(c: Container, action: ContainerAction | string, extra: Record<string, string> = {}): void {
    this.publisher.publish('container', action, { ID: c.id, Attributes: { ...containerAttributes(c), ...extra } });
  }
}

/** A container's attributes in its events: its labels, then `image` (as given at create) and `name`. */
export function containerAttributes(c: Container): Record<string, string> {
  return { ...c.record.config.Labels, image: c.record.config.Image, name: c.record.name.replace(/^\//, '') };
}

/** dockerd's action for an exec: `exec_create: <entrypoint> <args joined by spaces>`. */
export function execAction(kind: 'exec_create' | 'exec_start', cmd: string[]): `exec_create: ${string}` | `exec_start: ${string}` {
  return `${kind}: ${cmd[0] ?? ''} ${cmd.slice(1).join(' ')}`;
}
