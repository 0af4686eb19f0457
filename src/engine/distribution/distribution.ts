// The engine's distribution state, shared by every pull and push of one daemon: registry hosts and their
// connection pools, the downloads in flight, the layer extractions in flight, and where layers came from.
// Made on first use; its temp directory is emptied then, so a download cut off by a crash leaves nothing.
import { join } from 'node:path';
import { mkdir, rm } from 'node:fs/promises';
import type { Engine } from '../engine.js';
import { BlobDownloads } from './blob-download.js';
import { LayerOrigins } from '../layers/layer-origins.js';
import { RegistryHosts } from './registry-hosts.js';
import { LayerIo } from './layer-io.js';
import { layerOriginsRoot } from '../layers/kept-archive.js';

export class Distribution {
  /** chainID -> the extraction registering it now, so concurrent pulls unpack a layer once. */
  readonly extractions = new Map<string, Promise<void>>();

  private constructor(
    readonly hosts: RegistryHosts,
    readonly downloads: BlobDownloads,
    readonly origins: LayerOrigins,
    readonly tmpDir: string,
  ) {}

  static async open(engine: Engine): Promise<Distribution> {
    const root = join(engine.config.dataRoot, 'distribution');
    const tmpDir = join(root, 'tmp');
    await rm(tmpDir, { recursive: true, force: true });
    await mkdir(tmpDir, { recursive: true, mode: 0o700 });
    const hosts = new RegistryHosts(engine.config, engine.log);
    const origins = await LayerOrigins.open(layerOriginsRoot(engine.config.dataRoot), engine.log);
    await new LayerIo(engine.images, origins).pruneLocalBlobs();
    return new Distribution(hosts, new BlobDownloads(tmpDir), origins, tmpDir);
  }
}

const instances = new WeakMap<Engine, Promise<Distribution>>();

/** The engine's Distribution, opened on first use. */
export function distributionOf(engine: Engine): Promise<Distribution> {
  let instance = instances.get(engine);
  if (!instance) {
    instance = Distribution.open(engine);
    instance.catch(() => instances.delete(engine));
    instances.set(engine, instance);
  }
  return instance;
}
