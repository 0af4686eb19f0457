// The container store through the shared record store suite.
import { ContainerStore } from '../../src/engine/containers/container-store.js';
import { ZERO_TIME, type ContainerRecord } from '../../src/engine/containers/container-types.js';
import type { Logger } from '../../src/engine/base/log.js';
import { recordStoreSuite } from './record-store-suite.js';

function container(id: string, n: number): ContainerRecord {
  return {
    id, name: `/c${n}`, created: '2024-01-02T03:04:05Z', path: 'sh', args: ['-c', `exit ${n}`],
    config: { Image: 'busybox', Cmd: ['sh'], Env: null, Labels: { n: String(n) } } as unknown as ContainerRecord['config'],
    hostConfig: { NetworkMode: 'bridge', RestartPolicy: { Name: 'no', MaximumRetryCount: 0 } } as unknown as ContainerRecord['hostConfig'],
    image: `sha256:${'1'.repeat(64)}`, lowerDirs: [], restartCount: n, hasBeenStartedBefore: n > 1, hasBeenManuallyStopped: false,
    state: {
      running: false, paused: false, restarting: false, oomKilled: false, dead: false, removing: false,
      pid: 0, exitCode: n, error: '', startedAt: ZERO_TIME, finishedAt: ZERO_TIME,
    },
    mounts: [], logPath: `/var/lib/berth/containers/${id}/container.log`,
  };
}

recordStoreSuite<ContainerRecord>('ContainerStore', {
  async open(root, log) {
    const store = new ContainerStore(root, log as unknown as Logger);
    const { records } = await store.load();
    return {
      loaded: () => new Map(records.map((r) => [r.id, r])),
      put: (id, record) => store.save(record),
      delete: (id) => store.remove(id),
      pathOf: (id) => `${store.dir(id)}/container.json`,
    };
  },
  keys: ['a'.repeat(64), 'b'.repeat(64)], sample: container, version: 1,
});
