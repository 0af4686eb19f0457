// Doubles of the roles a ContainerManager takes (images, network, volumes, the rootfs mount), for
// tests that run it on the in-memory runtime: each does the least its role promises, and the records
// are real files in a temp data root that `tempDataRoot` hands out and removes after the file's tests.
import { after } from 'node:test';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerImages, ContainerNetworking, ContainerRootfs, ContainerVolumes } from '../../src/engine/containers/container-roles.js';

/** One image, with no layers of its own (its lower dir is never mounted by the rootfs double). */
export const images: ContainerImages = {
  resolve: async () => ({ id: `sha256:${'a'.repeat(64)}`, config: { config: {} } as never }),
  lowerDirs: async () => ['/nonexistent-layer'],
  removeUnusedLayers: async () => [],
  setUsageCheck: () => {},
};

/** A network that registers and plumbs nothing: every run gets a namespace of its own. */
export const network: ContainerNetworking = {
  registerContainer: async () => {},
  prepare: async (id) => ({ network: 'new', mounts: [], hostname: id.slice(0, 12), env: [], etcPaths: { resolvConf: '', hostname: '', hosts: '' } }),
  connect: async () => {},
  disconnect: async () => {},
  unregisterContainer: async () => {},
  renameContainer: async () => {},
  removeLink: async () => {},
};

const noVolumes = async (): Promise<never> => { throw new Error('no volumes in these tests'); };
/** No volumes: a test that asks for one fails loudly. */
export const volumes = {
  acquire: noVolumes, release: noVolumes, remove: noVolumes, usedBy: () => [], addRef: () => {}, mountpoint: noVolumes,
} as unknown as ContainerVolumes;

/** A plain directory as the root filesystem: no overlay mount. */
export const rootfs: ContainerRootfs = {
  mount: async (dirs) => { await mkdir(dirs.merged, { recursive: true }); },
  unmount: async () => {},
  mountPoints: async () => new Set(),
};

const roots: string[] = [];
after(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

/** A new temp data root, removed after the calling file's tests. */
export async function tempDataRoot(prefix: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  roots.push(root);
  return root;
}
