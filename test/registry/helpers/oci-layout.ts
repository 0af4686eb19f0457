// Makes OCI image layouts for skopeo: gzipped tar layers of random files and a config.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

export async function tarOf(files: Record<string, Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
  const done = new Promise<void>((r) => { pack.on('end', () => r()); });
  for (const [name, data] of Object.entries(files)) pack.entry({ name, mode: 0o755, mtime: new Date(0) }, data);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

function put(dir: string, data: Buffer): string {
  const hex = createHash('sha256').update(data).digest('hex');
  writeFileSync(join(dir, 'blobs/sha256', hex), data);
  return `sha256:${hex}`;
}

/** Writes an OCI layout at `dir` holding one image tagged `tag`, with layers of `layerSizes` random bytes. */
export async function makeLayout(dir: string, tag: string, layerSizes: number[]): Promise<{ manifestDigest: string; layers: string[] }> {
  mkdirSync(join(dir, 'blobs/sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const layers: Array<{ digest: string; size: number; diffId: string }> = [];
  for (const [i, size] of layerSizes.entries()) {
    const t = await tarOf({ [`file-${i}`]: randomBytes(size) });
    const gz = gzipSync(t, { level: 1 });
    layers.push({ digest: put(dir, gz), size: gz.length, diffId: 'sha256:' + createHash('sha256').update(t).digest('hex') });
  }
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
  }));
  const configDigest = put(dir, config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
  }));
  const manifestDigest = put(dir, manifest);
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2, manifests: [{
      mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length,
      annotations: { 'org.opencontainers.image.ref.name': tag },
    }],
  }));
  return { manifestDigest, layers: layers.map((l) => l.digest) };
}
