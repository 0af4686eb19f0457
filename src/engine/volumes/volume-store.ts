import { chown, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../base/log.js';
import { syncDir } from '../../lib/atomic-file.js';
import { RecordStore } from '../store/record-store.js';
import type { StoreLog } from '../store/record-file.js';
import { bestEffort } from '../../lib/best-effort.js';
import { ConflictError, InvalidArgumentError, NotFoundError, SystemError, errorMessage } from '../../lib/errors.js';
import { validateVolumeName } from './volume-name.js';
import { parseLocalOptions } from './local-options.js';
import { ANONYMOUS_LABEL, pruneFilters, volumeMatcher } from './volume-filters.js';
import { dirSize } from './dir-size.js';
import { undoInterruptedCopies } from './copy-up.js';
import { removeLeftover } from '../store/leftovers.js';
import { NO_EVENTS, type EventPublisher } from '../events/event-types.js';

const execFileAsync = promisify(execFile);

/** What is stored for one volume (`<root>/<name>/volume.json`). */
export interface VolumeRecord {
  Name: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
  CreatedAt: string;
}

/** A volume as the API shows it (Docker's `Volume` object). */
export interface Volume extends VolumeRecord {
  Mountpoint: string;
  Scope: 'local';
}

export interface CreateVolumeOptions {
  /** Empty or absent: an anonymous volume with a random 64-hex name and Docker's anonymous label. */
  name?: string;
  driver?: string;
  labels?: Record<string, string> | null;
  options?: Record<string, string> | null;
}

export const LOCAL_DRIVER = 'local';
const METADATA = 'volume.json';
const DATA = '_data';
/** Prefix of a volume directory being deleted: renamed first so the name is free at once. */
const REMOVING = '.removing-';

/** The volumes' metadata records: `<root>/<name>/volume.json` beside the data. */
export function volumeRecords(root: string, log: StoreLog): RecordStore<VolumeRecord> {
  return new RecordStore<VolumeRecord>({
    kind: 'volume', version: 1, dir: root, file: METADATA, dirMode: 0o701, log,
    isKey: (name) => !name.startsWith(REMOVING) && isVolumeName(name),
  });
}

/**
 * The engine's volumes (the local driver): `<root>/<name>/_data` holds the data, `volume.json` beside
 * it the metadata, written atomically after the directory exists, so a crash leaves either no volume
 * or a complete one (a directory without metadata is adopted as a plain local volume, as Docker does).
 *
 * References: every container using a volume holds a reference (its ID) from create to rm; a volume
 * with references cannot be removed. The container manager restores references when it loads
 * containers at start. All state checks and changes happen synchronously so concurrent requests
 * cannot interleave between a check and its effect.
 */
export class VolumeStore {
  private readonly volumes = new Map<string, VolumeRecord>();
  private readonly refs = new Map<string, Set<string>>();
  private readonly creating = new Map<string, Promise<VolumeRecord>>();
  private readonly removing = new Map<string, Promise<void>>();
  private pruning = false;

  private constructor(
    readonly root: string, private readonly log: Logger, private readonly records: RecordStore<VolumeRecord>,
    /** Where volume events (create, destroy) go. */
    private readonly events: EventPublisher,
    /** Who owns a new volume's `_data`: the containers' root (the remapped one under --userns-remap). */
    private readonly owner?: { uid: number; gid: number },
  ) {}

  static async open(
    root: string, log: Logger, events: EventPublisher = NO_EVENTS, owner?: { uid: number; gid: number },
  ): Promise<VolumeStore> {
    const records = volumeRecords(root, log);
    const store = new VolumeStore(root, log, records, events, owner);
    await mkdir(root, { recursive: true, mode: 0o701 });
    for (const entry of await readdir(root, { withFileTypes: true })) {
      if (!entry.isDirectory() || !entry.name.startsWith(REMOVING)) continue;
      const dir = join(root, entry.name);
      await bestEffort(log, `volume cleanup of ${dir}`, removeLeftover(log, dir, 'a volume removal that did not finish'));
    }
    const loaded = await records.loadAll();
    for (const [name, record] of loaded.records) store.volumes.set(name, record);
    // A damaged record is moved aside by the store; the volume's data is kept and the volume comes
    // back as a plain local volume, as a directory without a record does.
    const movedAside = loaded.damaged.filter((d) => d.movedTo).map((d) => d.key);
    for (const name of [...loaded.withoutRecord, ...movedAside, ...loaded.setAside]) {
      const record = await store.adopt(name);
      if (record) store.volumes.set(name, record);
    }
    await undoInterruptedCopies(root, store.volumes.keys(), DATA, log);
    return store;
  }

  /** At daemon shutdown: waits until every volume record write already asked for is on disk. */
  async close(): Promise<void> {
    await this.records.idle();
  }

  /** Creates a volume, or returns the existing one of that name (Docker does not refuse a repeat). */
  async create(opts: CreateVolumeOptions = {}): Promise<Volume> {
    return this.toApi(await this.ensure(opts));
  }

  /** The volume named `name`; NotFoundError `get <name>: no such volume` otherwise. */
  get(name: string): Volume {
    const record = this.volumes.get(name);
    if (!record) throw new NotFoundError(`get ${name}: no such volume`);
    return this.toApi(record);
  }

  has(name: string): boolean {
    return this.volumes.has(name);
  }

  /** Volumes matching Docker's list filters (dangling, name, driver, label), sorted by name. */
  list(filters: Map<string, string[]> = new Map()): Volume[] {
    const match = volumeMatcher(filters);
    return [...this.volumes.values()]
      .filter((r) => match({ name: r.Name, driver: r.Driver, labels: r.Labels ?? {}, inUse: this.usedBy(r.Name).length > 0 }))
      .sort((a, b) => a.Name.localeCompare(b.Name))
      .map((r) => this.toApi(r));
  }

  /** IDs of the containers holding a reference to the volume. */
  usedBy(name: string): string[] {
    return [...(this.refs.get(name) ?? [])];
  }

  /**
   * Removes a volume and its data. In use: ConflictError `remove <name>: volume is in use - [ids]`
   * (force does not override that, as in Docker). Missing: NotFoundError, or nothing with `force`.
   */
  async remove(name: string, force = false): Promise<void> {
    // Waits for a create in flight; its failure is its own caller's to handle.
    await Promise.allSettled([this.creating.get(name)]);
    const record = this.volumes.get(name);
    if (!record) {
      if (force) return;
      throw new NotFoundError(`get ${name}: no such volume`);
    }
    const users = this.usedBy(name);
    if (users.length) throw new ConflictError(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    this.volumes.delete(name);
    const done = this.deleteFromDisk(record);
    this.removing.set(name, done);
    try {
      await done;
    } finally {
      this.removing.delete(name);
    }
    this.events.publish('volume', 'destroy', { ID: name, Attributes: { driver: record.Driver } });
  }

  /**
   * Removes unused local volumes matching the filters; by default only anonymous ones (Docker 23+),
   * all unused ones with the filter all=true. Volumes with mount options are left alone, as in Docker.
   */
  async prune(filters: Map<string, string[]> = new Map()): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
    if (this.pruning) throw new ConflictError('a prune operation is already running');
    this.pruning = true;
    try {
      const match = volumeMatcher(pruneFilters(filters));
      const candidates = [...this.volumes.values()].filter((r) => r.Driver === LOCAL_DRIVER && !parseLocalOptions(r.Name, r.Options)
        && match({ name: r.Name, driver: r.Driver, labels: r.Labels ?? {}, inUse: false }));
      const report = { VolumesDeleted: [] as string[], SpaceReclaimed: 0 };
      for (const r of candidates) {
        if (this.usedBy(r.Name).length || !this.volumes.has(r.Name)) continue;
        const size = await dirSize(join(this.root, r.Name, DATA));
        try {
          await this.remove(r.Name);
        } catch (err) {
          this.log.warn(`prune: could not remove volume ${r.Name}: ${errorMessage(err)}`);
          continue;
        }
        report.VolumesDeleted.push(r.Name);
        report.SpaceReclaimed += size;
      }
      return report;
    } finally {
      this.pruning = false;
    }
  }

  /**
   * Gets or creates a volume for a container and takes a reference on it (as one step: nothing can
   * remove the volume between the two). `created` tells the caller whether to undo the creation if
   * the container's creation fails after this.
   */
  async acquire(opts: CreateVolumeOptions, ref: string): Promise<{ volume: Volume; created: boolean }> {
    for (;;) {
      const existed = !!opts.name && this.volumes.has(opts.name);
      const record = await this.ensure(opts);
      // A remove may have run while ensure awaited: only take the reference on the live record.
      if (this.volumes.get(record.Name) !== record) continue;
      this.addRef(record.Name, ref);
      return { volume: this.toApi(record), created: !existed };
    }
  }

  /** Takes a reference (restoring a container's references at daemon start). Unknown names are ignored. */
  addRef(name: string, ref: string): void {
    if (!this.volumes.has(name)) return;
    let set = this.refs.get(name);
    if (!set) this.refs.set(name, (set = new Set()));
    set.add(ref);
  }

  /** Drops a reference; unmounts a volume with mount options when its last user is gone. */
  async release(name: string, ref: string): Promise<void> {
    const set = this.refs.get(name);
    if (!set) return;
    set.delete(ref);
    if (set.size) return;
    this.refs.delete(name);
    const record = this.volumes.get(name);
    if (record && parseLocalOptions(name, record.Options)) await this.unmountData(record);
  }

  /**
   * The host path to bind into a container. A volume with mount options is mounted first (once; it
   * stays mounted while containers reference it).
   */
  async mountpoint(name: string): Promise<string> {
    const record = this.volumes.get(name);
    if (!record) throw new NotFoundError(`get ${name}: no such volume`);
    const data = join(this.root, name, DATA);
    const options = parseLocalOptions(name, record.Options);
    if (options && !isMountpoint(data)) {
      const args = ['-t', options.type, ...(options.o ? ['-o', options.o] : []), '--', options.device, data];
      try {
        await execFileAsync('mount', args);
      } catch (err) {
        throw new SystemError(`error while mounting volume '${data}': ${(err as { stderr?: string }).stderr?.trim() || errorMessage(err)}`);
      }
    }
    return data;
  }

  private async ensure(opts: CreateVolumeOptions): Promise<VolumeRecord> {
    const driver = opts.driver || LOCAL_DRIVER;
    const anonymous = !opts.name;
    const name = opts.name || randomBytes(32).toString('hex');
    validateVolumeName(name);
    if (driver !== LOCAL_DRIVER) throw new NotFoundError(`create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    parseLocalOptions(name, opts.options);
    for (;;) {
      const existing = this.volumes.get(name);
      if (existing) return existing;
      const pending = this.creating.get(name) ?? this.removing.get(name);
      if (!pending) break;
      // Its failure is its own caller's to handle; this one only waits for it.
      await Promise.allSettled([pending]);
    }
    const labels = { ...(opts.labels ?? {}), ...(anonymous ? { [ANONYMOUS_LABEL]: '' } : {}) };
    const record: VolumeRecord = {
      Name: name,
      Driver: driver,
      Labels: Object.keys(labels).length ? labels : null,
      Options: opts.options && Object.keys(opts.options).length ? { ...opts.options } : null,
      CreatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    const work = (async () => {
      const dir = join(this.root, name);
      try {
        await mkdir(join(dir, DATA), { recursive: true, mode: 0o755 });
        if (this.owner) await chown(join(dir, DATA), this.owner.uid, this.owner.gid);
        await this.records.put(name, record);
      } catch (err) {
        await bestEffort(this.log, `undoing the create of volume ${name}`, rm(dir, { recursive: true, force: true }));
        throw new SystemError(`create ${name}: ${errorMessage(err)}`);
      }
      this.volumes.set(name, record);
      this.events.publish('volume', 'create', { ID: name, Attributes: { driver: driver } });
      return record;
    })();
    this.creating.set(name, work);
    try {
      return await work;
    } finally {
      this.creating.delete(name);
    }
  }

  private async deleteFromDisk(record: VolumeRecord): Promise<void> {
    const dir = join(this.root, record.Name);
    if (parseLocalOptions(record.Name, record.Options)) await this.unmountData(record);
    const trash = join(this.root, `${REMOVING}${record.Name}-${randomBytes(4).toString('hex')}`);
    try {
      await rename(dir, trash);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.volumes.set(record.Name, record);
      throw new SystemError(`remove ${record.Name}: ${errorMessage(err)}`);
    }
    // The rename is the removal of the record with its data (one step: no crash leaves data without
    // metadata to adopt); once synced, the volume stays gone after a crash.
    await syncDir(this.root);
    await rm(trash, { recursive: true, force: true }).catch((err) => this.log.warn(`removing ${trash}: ${errorMessage(err)}`));
  }

  private async unmountData(record: VolumeRecord): Promise<void> {
    const data = join(this.root, record.Name, DATA);
    if (!isMountpoint(data)) return;
    await execFileAsync('umount', [data]).catch((err) => this.log.warn(`unmounting volume ${record.Name}: ${errorMessage(err)}`));
  }

  /** A volume directory without metadata (a crash inside create, or copied in by hand) becomes a plain local volume. */
  private async adopt(name: string): Promise<VolumeRecord | undefined> {
    const st = await stat(join(this.root, name, DATA)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
      throw err;
    });
    if (!st?.isDirectory()) return undefined;
    const record: VolumeRecord = {
      Name: name, Driver: LOCAL_DRIVER, Labels: null, Options: null,
      CreatedAt: st.birthtime.toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    await this.records.put(name, record);
    return record;
  }

  private toApi(record: VolumeRecord): Volume {
    return {
      CreatedAt: record.CreatedAt,
      Driver: record.Driver,
      Labels: record.Labels,
      Mountpoint: join(this.root, record.Name, DATA),
      Name: record.Name,
      Options: record.Options,
      Scope: 'local',
    };
  }
}

function isVolumeName(name: string): boolean {
  try {
    validateVolumeName(name);
    return true;
  } catch (err) {
    if (err instanceof InvalidArgumentError) return false;
    throw err;
  }
}

function isMountpoint(path: string): boolean {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((line) => line.split(' ')[4] === path);
  } catch {
    return false;
  }
}

