import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../base/log.js';
import { RecordStore, type PutOptions } from '../store/record-store.js';
import type { ContainerRecord } from './container-types.js';
import { rootfsDirs, unmountRootfs } from './rootfs.js';

/** The file of a container's record in its directory. */
export const CONTAINER_RECORD_FILE = 'container.json';

/**
 * Containers on disk: `<data-root>/containers/<id>/` holds `container.json` (a RecordStore record:
 * it exists whole or not at all), the log, and the writable layer. A directory without a record is a
 * create or a removal that a crash interrupted: `load` deletes it.
 */
export class ContainerStore {
  private readonly records: RecordStore<ContainerRecord>;

  constructor(readonly root: string, private readonly log: Logger) {
    this.records = new RecordStore<ContainerRecord>({
      kind: 'container', version: 1, dir: root, file: CONTAINER_RECORD_FILE, dirMode: 0o710, log,
      isKey: (name) => /^[a-f0-9]{64}$/.test(name),
    });
  }

  dir(id: string): string {
    return join(this.root, id);
  }

  logPath(id: string): string {
    return join(this.dir(id), 'container.log');
  }

  /** Saves the record durably; saves of one container land in the order they were called. */
  async save(record: ContainerRecord): Promise<void> {
    // A removal in progress is not a state to come back to.
    const state = { ...record.state, removing: false };
    await this.records.put(record.id, { ...record, state });
  }

  /**
   * Reads every record (a damaged one is reported and moved aside, and its directory, with the log
   * and the writable layer, left alone for a person to look at); removes the
   * directories of containers whose record was never written and returns their IDs as `leftovers`
   * (other subsystems may hold state for them).
   */
  async load(): Promise<{ records: ContainerRecord[]; leftovers: string[] }> {
    const { records, withoutRecord } = await this.records.loadAll();
    for (const id of withoutRecord) {
      this.log.info(`removing the leftovers of unfinished container ${id}`);
      await this.removeDir(id);
    }
    return { records: [...records.values()], leftovers: withoutRecord };
  }

  /**
   * Removes the record first (so a crash leaves a record-less directory, which `load` cleans), then
   * the directory, before any later save of the container. `durable: false` where a record that a
   * machine crash brings back is removed again at the next start (see ContainerManager.remove).
   */
  async remove(id: string, options: PutOptions = {}): Promise<void> {
    await this.records.delete(id, () => this.removeDir(id), options);
  }

  async removeDir(id: string): Promise<void> {
    await unmountRootfs(rootfsDirs(this.dir(id)));
    await rm(this.dir(id), { recursive: true, force: true });
  }
}
