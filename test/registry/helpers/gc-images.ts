// Images for the garbage collection tests: blobs pushed now and a manifest put later (or again), and
// a pull that checks every digest.
import assert from 'node:assert/strict';
import { getBlob, OCI_MANIFEST, pushBlob, req, sha256, type Client } from './client.js';

export interface TestImage {
  config: Buffer;
  layers: Buffer[];
  body: string;
  digest: string;
  /** config and layers digests */
  blobs: string[];
}

/** An OCI image of `layers` with a config of its own; nothing pushed yet. */
export function makeImage(layers: Buffer[]): TestImage {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, n: Math.random() }));
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(l), size: l.length })),
  });
  return { config, layers, body, digest: sha256(body), blobs: [sha256(config), ...layers.map((l) => sha256(l))] };
}

export async function pushBlobs(c: Client, name: string, image: TestImage): Promise<void> {
  for (const b of [image.config, ...image.layers]) await pushBlob(c, name, b);
}

/** PUTs the manifest: the status and, on failure, the first error code. */
export async function putManifest(c: Client, name: string, tag: string, image: TestImage): Promise<{ status: number; code?: string }> {
  const res = await req(c, 'PUT', `/v2/${name}/manifests/${tag}`, { body: image.body, headers: { 'Content-Type': OCI_MANIFEST } });
  if (res.status === 201) { await res.arrayBuffer(); return { status: 201 }; }
  const body = await res.json() as { errors?: Array<{ code: string }> };
  return { status: res.status, code: body.errors?.[0]?.code };
}

/** Pulls name:tag as a client does and checks the manifest and every blob against their digests. */
export async function assertPulls(c: Client, name: string, tag: string, image: TestImage): Promise<void> {
  let res = await req(c, 'GET', `/v2/${name}/manifests/${tag}`, { headers: { Accept: OCI_MANIFEST } });
  assert.equal(res.status, 200, `${name}:${tag} manifest`);
  assert.equal(sha256(Buffer.from(await res.arrayBuffer())), image.digest, `${name}:${tag} manifest digest`);
  for (const digest of image.blobs) {
    res = await getBlob(c, name, digest);
    assert.equal(res.status, 200, `${name}:${tag} blob ${digest}`);
    assert.equal(sha256(Buffer.from(await res.arrayBuffer())), digest, `${name}:${tag} blob ${digest} content`);
  }
}
