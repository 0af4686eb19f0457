import { existsSync } from 'node:fs';
import { chown, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { rootPair, type IdMapping } from '../../lib/id-mapping.js';
import type { RuntimeSpec } from '../runtime/runtime.js';
import type { ContainerVolumes } from './container-roles.js';
import type { InspectMount, MountPoint } from './mount-point.js';
import { bestEffort, type WarningSink } from '../../lib/best-effort.js';
import { InvalidArgumentError, SystemError, errorMessage, orIfMissing } from '../../lib/errors.js';
import { parseBindSpec, PROPAGATION_MODES } from '../volumes/bind-spec.js';
import { mountConfigError, normalize, targetProblem } from '../volumes/mount-errors.js';
import { tmpfsData, tmpfsMountOptions } from '../volumes/tmpfs-options.js';
import { copyImageContent } from '../volumes/copy-up.js';
import { validateVolumeName } from '../volumes/volume-name.js';

export type RuntimeMount = NonNullable<RuntimeSpec['mounts']>[number];

/** HostConfig.Mounts entry (`--mount`), as the API sends it. */
export interface ApiMount {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean } | null;
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string> | null;
    DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null;
    Subpath?: string;
  } | null;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number; Options?: string[][] } | null;
}

/** What the mounts of a container are made from. */
export interface MountInputs {
  binds?: string[] | null;
  mounts?: ApiMount[] | null;
  /** Config.Volumes of the container (the image's VOLUMEs merged with `-v /path`). */
  volumes?: Record<string, unknown> | null;
  /** HostConfig.Tmpfs (`--tmpfs /run:size=64m`): destinations taken, so no volume goes there. */
  tmpfs?: Record<string, string> | null;
  /** HostConfig.VolumeDriver. */
  volumeDriver?: string;
}

/**
 * Validates and resolves a container's mounts at create time, with Docker's rules and messages: `-v`
 * strings, `--mount` objects (a bind source must exist), then Config.Volumes for the destinations
 * nothing else covers. Touches nothing; `claimMounts` then creates the volumes.
 */
export function planMounts(inputs: MountInputs): MountPoint[] {
  const points: MountPoint[] = [];
  const taken = new Set<string>(Object.keys(inputs.tmpfs ?? {}).map(normalize));
  const add = (point: MountPoint): void => {
    // A bad name (often a relative host path) is refused before anything is created.
    if (point.Type === 'volume' && point.Name) validateVolumeName(point.Name);
    if (taken.has(point.Destination)) throw new InvalidArgumentError(`Duplicate mount point: ${point.Destination}`);
    taken.add(point.Destination);
    points.push(point);
  };
  const volumeDriver = inputs.volumeDriver || 'local';
  for (const raw of inputs.binds ?? []) {
    if (typeof raw !== 'string') throw new InvalidArgumentError('invalid volume specification: binds must be strings');
    const spec = parseBindSpec(raw);
    if (spec.type === 'bind') {
      add({
        Type: 'bind', Source: spec.source, Destination: spec.target, Mode: spec.mode, RW: !spec.readOnly,
        Propagation: spec.propagation ?? 'rprivate', createSource: true,
      });
    } else {
      add({
        Type: 'volume', ...(spec.source ? { Name: spec.source } : {}), Source: '', Destination: spec.target, Driver: volumeDriver,
        Mode: spec.mode || (spec.source ? 'z' : ''), RW: !spec.readOnly, Propagation: '', named: !!spec.source, copyData: !spec.noCopy,
      });
    }
  }
  for (const m of inputs.mounts ?? []) add(planApiMount(m, volumeDriver));
  for (const target of Object.keys(inputs.volumes ?? {})) {
    const problem = targetProblem(target);
    if (problem) throw new InvalidArgumentError(`invalid volume specification: '${target}': ${mountConfigError('volume', problem).message}`);
    const destination = normalize(target);
    if (taken.has(destination)) continue;
    add({ Type: 'volume', Source: '', Destination: destination, Driver: volumeDriver, Mode: '', RW: true, Propagation: '', named: false, copyData: true });
  }
  return points;
}

function planApiMount(m: ApiMount, volumeDriver: string): MountPoint {
  if (typeof m !== 'object' || m === null) throw new InvalidArgumentError('invalid mount config: not an object');
  const type = m.Type ?? '';
  const fail = (why: string) => mountConfigError(type, why);
  const problem = targetProblem(m.Target ?? '');
  if (problem) throw fail(problem);
  const destination = normalize(m.Target!);
  const readOnly = !!m.ReadOnly;
  switch (type) {
    case 'bind': {
      if (!m.Source) throw fail('field Source must not be empty');
      if (m.VolumeOptions) throw fail('field VolumeOptions must not be specified');
      if (m.TmpfsOptions) throw fail('field TmpfsOptions must not be specified');
      const propagation = m.BindOptions?.Propagation;
      if (propagation && !PROPAGATION_MODES.has(propagation)) throw fail(`invalid propagation mode: ${propagation}`);
      if (!m.Source.startsWith('/')) throw fail(`invalid mount path: '${m.Source}' mount path must be absolute`);
      const source = normalize(m.Source);
      const create = !!m.BindOptions?.CreateMountpoint;
      if (!create && !existsSync(source)) throw fail(`bind source path does not exist: ${source}`);
      return {
        Type: 'bind', Source: source, Destination: destination, Mode: '', RW: !readOnly,
        Propagation: propagation || 'rprivate', createSource: create,
      };
    }
    case 'volume': {
      if (m.BindOptions) throw fail('field BindOptions must not be specified');
      if (m.TmpfsOptions) throw fail('field TmpfsOptions must not be specified');
      const anonymous = !m.Source;
      if (m.VolumeOptions?.Subpath) throw fail('volume subpaths are not supported');
      if (readOnly && anonymous) throw fail('must not set ReadOnly mode when using anonymous volumes');
      const driver = m.VolumeOptions?.DriverConfig?.Name || volumeDriver;
      return {
        Type: 'volume', ...(anonymous ? {} : { Name: m.Source }), Source: '', Destination: destination, Driver: driver,
        Mode: 'z', RW: !readOnly, Propagation: '', named: !anonymous, copyData: !m.VolumeOptions?.NoCopy,
        ...(m.VolumeOptions?.Labels ? { volumeLabels: { ...m.VolumeOptions.Labels } } : {}),
        ...(m.VolumeOptions?.DriverConfig?.Options ? { volumeOptions: { ...m.VolumeOptions.DriverConfig.Options } } : {}),
      };
    }
    case 'tmpfs': {
      if (m.Source) throw fail('field Source must not be specified');
      if (m.BindOptions) throw fail('field BindOptions must not be specified');
      if (m.VolumeOptions) throw fail('field VolumeOptions must not be specified');
      let data: string;
      try {
        data = tmpfsData(m.TmpfsOptions ?? undefined, readOnly);
      } catch (err) {
        throw fail(errorMessage(err).replace(/^invalid mount config for type "tmpfs": /, ''));
      }
      return { Type: 'tmpfs', Source: '', Destination: destination, Mode: '', RW: !readOnly, Propagation: '', data };
    }
    default:
      throw fail('mount type unknown');
  }
}

/**
 * Creates (named volumes on first use, anonymous ones always) and references the volumes of a new
 * container. Fills in each volume's Name and Source. On failure it undoes its own work: references
 * dropped, volumes it created removed, so a refused create leaves nothing behind.
 */
export async function claimMounts(volumes: ContainerVolumes, containerId: string, points: MountPoint[], log: WarningSink): Promise<MountPoint[]> {
  const out: MountPoint[] = [];
  const created: string[] = [];
  try {
    for (const point of points) {
      if (point.Type !== 'volume') {
        out.push({ ...point });
        continue;
      }
      const { volume, created: isNew } = await volumes.acquire({
        name: point.Name, driver: point.Driver, labels: point.volumeLabels, options: point.volumeOptions,
      }, containerId);
      if (isNew) created.push(volume.Name);
      const { volumeLabels: _l, volumeOptions: _o, ...rest } = point;
      out.push({ ...rest, Name: volume.Name, Source: volume.Mountpoint, Driver: volume.Driver });
    }
    return out;
  } catch (err) {
    await releaseMounts(volumes, containerId, out, false, log);
    for (const name of created) await bestEffort(log, `removing volume ${name} made for a create that failed`, volumes.remove(name, true));
    throw err;
  }
}

/** Restores a loaded container's volume references at daemon start. */
export function restoreMountRefs(volumes: ContainerVolumes, containerId: string, points: MountPoint[]): void {
  for (const p of points) if (p.Type === 'volume' && p.Name) volumes.addRef(p.Name, containerId);
}

/**
 * Drops a removed container's volume references; with `removeAnonymous` (`docker rm -v`) also removes
 * its anonymous volumes, unless another container still uses them. Named volumes always stay.
 */
export async function releaseMounts(
  volumes: ContainerVolumes, containerId: string, points: MountPoint[], removeAnonymous: boolean, log: WarningSink,
): Promise<void> {
  for (const p of points) {
    if (p.Type !== 'volume' || !p.Name) continue;
    await volumes.release(p.Name, containerId);
    if (removeAnonymous && !p.named && volumes.usedBy(p.Name).length === 0) {
      await bestEffort(log, `removing anonymous volume ${p.Name} of container ${containerId}`, volumes.remove(p.Name, true));
    }
  }
}

async function giveNewDirs(first: string, last: string, idMapping: IdMapping): Promise<void> {
  const { uid, gid } = rootPair(idMapping);
  for (let p = last; p.length >= first.length; p = dirname(p)) await chown(p, uid, gid);
}

/**
 * The runtime's mounts for starting the container, ordered parents first: creates missing `-v` host
 * paths, mounts volumes that have mount options, and fills new empty volumes from the image (its
 * mounted root filesystem at `rootfs`), as Docker does on first use.
 */
export async function runtimeMounts(
  volumes: ContainerVolumes, points: MountPoint[], rootfs: string, idMapping?: IdMapping,
): Promise<RuntimeMount[]> {
  const out: RuntimeMount[] = [];
  for (const p of points) {
    const rw = p.RW ? 'rw' : 'ro';
    switch (p.Type) {
      case 'bind':
        // Binding a file is fine: only a path that does not exist at all is created (as a directory).
        if (!(await orIfMissing(stat(p.Source), undefined))) {
          if (!p.createSource) throw mountConfigError('bind', `bind source path does not exist: ${p.Source}`);
          const first = await mkdir(p.Source, { recursive: true, mode: 0o755 }).catch((err) => {
            throw new SystemError(`error while creating mount source path '${p.Source}': ${errorMessage(err)}`);
          });
          // dockerd gives the directories it made to the container's root (the remapped one under --userns-remap).
          if (first && idMapping) await giveNewDirs(first, p.Source, idMapping);
        }
        out.push({ destination: p.Destination, source: p.Source, type: 'bind', options: ['rbind', p.Propagation || 'rprivate', rw] });
        break;
      case 'volume': {
        const source = await volumes.mountpoint(p.Name!);
        if (p.copyData) await copyImageContent(rootfs, p.Destination, source);
        out.push({ destination: p.Destination, source, type: 'bind', options: ['rbind', 'rprivate', rw] });
        break;
      }
      case 'tmpfs':
        out.push({ destination: p.Destination, source: 'tmpfs', type: 'tmpfs', options: tmpfsMountOptions(p.data ?? '') });
        break;
    }
  }
  return sortParentsFirst(out);
}

/** Mounts for HostConfig.Tmpfs (`--tmpfs /run:size=64m`). */
export function tmpfsFlagMounts(tmpfs: Record<string, string> | null | undefined): RuntimeMount[] {
  return Object.entries(tmpfs ?? {}).map(([destination, data]) => {
    const problem = targetProblem(destination);
    if (problem) throw mountConfigError('tmpfs', problem);
    return { destination: normalize(destination), source: 'tmpfs', type: 'tmpfs', options: tmpfsMountOptions(data) };
  });
}

/** Parents before children (`/a` before `/a/b`), so no mount hides another. */
export function sortParentsFirst(mounts: RuntimeMount[]): RuntimeMount[] {
  const depth = (m: RuntimeMount) => normalize(m.destination).split('/').length;
  return [...mounts].sort((a, b) => depth(a) - depth(b));
}

/** `Mounts` of `docker inspect`: Docker's fields only, Name and Driver for volumes alone. */
export function inspectMounts(points: MountPoint[]): InspectMount[] {
  return points.map((p) => ({
    Type: p.Type,
    ...(p.Type === 'volume' ? { Name: p.Name } : {}),
    Source: p.Source,
    Destination: p.Destination,
    ...(p.Type === 'volume' ? { Driver: p.Driver } : {}),
    Mode: p.Mode,
    RW: p.RW,
    Propagation: p.Propagation,
  }));
}
