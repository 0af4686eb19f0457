import { mkdir, readdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from '../../lib/atomic-file.js';
import type { Logger } from '../log.js';
import type { ContainerRecord } from './container-types.js';
import { rootfsDirs, unmountRootfs } from './rootfs.js';

const RECORD = 'container.json';

/**
 * Containers on disk: `<data-root>/containers/<id>/` holds `container.json` (written atomically: the
 * record exists or it does not), the log, and the writable layer. A directory without a record is a
 * create or a removal that a crash interrupted: `load` deletes it.
 */
export class ContainerStore {
  constructor(readonly root: string, private readonly log: Logger) {}

  dir(id: string): string {
    return join(this.root, id);
  }

  logPath(id: string): string {
    return join(this.dir(id), 'container.log');
  }

  async save(record: ContainerRecord): Promise<void> {
    // A removal in progress is not a state to come back to.
    const state = { ...record.state, removing: false };
    await writeJsonAtomic(join(this.dir(record.id), RECORD), { ...record, state });
  }

  /**
   * Reads every record; removes the directories of containers whose record was never written and
   * returns their IDs as `leftovers` (other subsystems may hold state for them).
   */
  async load(): Promise<{ records: ContainerRecord[]; leftovers: string[] }> {
    await mkdir(this.root, { recursive: true, mode: 0o710 });
    const out: ContainerRecord[] = [];
    const leftovers: string[] = [];
    for (const id of await readdir(this.root)) {
      if (!/^[a-f0-9]{64}$/.test(id)) continue;
      let record: ContainerRecord | undefined;
      try {
        record = await readJsonIfExists<ContainerRecord>(join(this.dir(id), RECORD));
      } catch (err) {
        this.log.error(`container ${id}: unreadable record, leaving it alone: ${err}`);
        continue;
      }
      if (record) out.push(record);
      else {
        this.log.info(`removing the leftovers of unfinished container ${id}`);
        await this.removeDir(id);
        leftovers.push(id);
      }
    }
    return { records: out, leftovers };
  }

  /** Removes the record first (so a crash leaves a record-less directory, which `load` cleans). */
  async remove(id: string): Promise<void> {
    await unlink(join(this.dir(id), RECORD)).catch(() => {});
    await this.removeDir(id);
  }

  async removeDir(id: string): Promise<void> {
    await unmountRootfs(rootfsDirs(this.dir(id)));
    await rm(this.dir(id), { recursive: true, force: true });
  }
}
