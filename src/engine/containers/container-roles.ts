import { join } from 'node:path';
import type { Logger } from '../base/log.js';
import type { Ulimit } from '../../lib/ulimit.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import type { ProbeRunner } from '../runtime/health-probe.js';
import type { IdMapping } from '../../lib/id-mapping.js';
import type { OciRuntimes } from '../runtime/oci-runtimes.js';
import type { ImageRecord, UsageCheck } from '../images/image-store.js';
import type { ContainerNetworkSpec, PreparedNetwork } from '../network/network-manager.js';
import type { EventPublisher } from '../events/event-types.js';
import type { VolumeStore } from '../volumes/volume-store.js';
import { ContainerStore } from './container-store.js';
import { mountPoints, mountRootfs, unmountRootfs, type RootfsDirs } from './rootfs.js';

/**
 * What the container manager uses of other subsystems, each as the narrowest role: the engine hands
 * in its image store, volume store and network manager; tests hand in doubles.
 */

/** The network manager's part in a container's life: create, each run, rename, remove. */
export interface ContainerNetworking {
  /** Validates a new container's network settings and records them; throws before anything is made. */
  registerContainer(spec: ContainerNetworkSpec): Promise<void>;
  /** Decides the namespace and /etc files of the next run. */
  prepare(id: string): Promise<PreparedNetwork>;
  /** Plumbs the run whose init process is `pid` into its networks. */
  connect(id: string, pid: number): Promise<void>;
  /** Gives back what a run held (endpoints, ports). */
  disconnect(id: string): Promise<void>;
  unregisterContainer(id: string): Promise<void>;
  /** `newName` with Docker's leading slash. */
  renameContainer(id: string, newName: string): Promise<void>;
  /** `docker rm --link`: the container's legacy link named `alias` is forgotten. */
  removeLink(id: string, alias: string): Promise<void>;
}

/** The image store's part: the image a container is made from and its layers. */
export interface ContainerImages {
  /** NotFoundError `No such image: x` as Docker words it. */
  resolve(ref: string): Promise<Pick<ImageRecord, 'id' | 'config'>>;
  /** The overlay lower dirs of an image, topmost first. */
  lowerDirs(imageId: string): Promise<string[]>;
  /** Removes layers no image and no container holds any more (after a container is removed). */
  removeUnusedLayers(): Promise<unknown>;
  /** Tells the image store how to find the containers that use an image (for `docker rmi`). */
  setUsageCheck(check: UsageCheck): void;
}

/** The volume store's part, as mounts.ts uses it: references, anonymous volumes, mount points. */
export type ContainerVolumes = Pick<VolumeStore, 'acquire' | 'release' | 'remove' | 'usedBy' | 'addRef' | 'mountpoint'>;

/** How a run's root filesystem is mounted: overlayfs by default; tests may hand in a plain directory. */
export interface ContainerRootfs {
  /** Mounts the layers below the container's own; idempotent (a running container keeps its mount). */
  mount(dirs: RootfsDirs, lowerDirs: string[]): Promise<void>;
  /** Unmounts if mounted. */
  unmount(dirs: RootfsDirs): Promise<void>;
  /** Every mount point of this mount namespace (daemon start looks for rootfs mounts left behind). */
  mountPoints(): Promise<Set<string>>;
}

export const overlayRootfs: ContainerRootfs = { mount: mountRootfs, unmount: unmountRootfs, mountPoints };

/** Everything ContainerManager.open needs. */
export interface ContainerManagerDeps {
  /** The daemon's data root: records, logs and writable layers live under `<dataRoot>/containers`. */
  dataRoot: string;
  /** The daemon's exec root: run bundles live under `<execRoot>/bundles`. */
  execRoot: string;
  log: Logger;
  runtime: ContainerRuntime;
  images: ContainerImages;
  volumes: ContainerVolumes;
  network: ContainerNetworking;
  /** Default: overlayfs (rootfs.ts). */
  rootfs?: ContainerRootfs;
  /** The daemon's `init` setting: run docker-init in containers whose HostConfig.Init is not set. */
  defaultInit?: boolean;
  /** The daemon's `--default-ulimit`s, by name; a container's own ulimit of the same name wins. */
  defaultUlimits?: Record<string, Ulimit>;
  /** The daemon's `--log-opt`s: json-file containers get those they do not set themselves. */
  defaultLogOpts?: Record<string, string>;
  /** Where container events go (the engine's event bus); default: nowhere. */
  events?: EventPublisher;
  /** Runs health-check probes inside containers (the engine's: runc exec). */
  probes?: ProbeRunner;
  /** The daemon's OCI runtimes: HostConfig.Runtime is checked against them (default: runc only). */
  runtimes?: Pick<OciRuntimes, 'checkName'>;
  /** The daemon's `--userns-remap` maps (containers get a user namespace, files the remapped owners). */
  idMapping?: IdMapping;
}

/** What the manager's modules share: the dependencies plus the store and the bundle paths. */
export interface ContainerContext extends Omit<ContainerManagerDeps, 'dataRoot' | 'execRoot' | 'rootfs'> {
  store: ContainerStore;
  rootfs: ContainerRootfs;
  /** Where a run's OCI bundle (config.json, conmon's attach socket) lives. */
  bundleDir(id: string): string;
}

export function containerContext(deps: ContainerManagerDeps): ContainerContext {
  const { dataRoot, execRoot, rootfs, ...rest } = deps;
  return {
    ...rest,
    rootfs: rootfs ?? overlayRootfs,
    store: new ContainerStore(join(dataRoot, 'containers'), deps.log),
    bundleDir: (id) => join(execRoot, 'bundles', id),
  };
}
