// A small registry client for tests, over fetch.
import { createHash, randomBytes } from 'node:crypto';

export function sha256(data: Uint8Array | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

export function sha512(data: Uint8Array | string): string {
  return 'sha512:' + createHash('sha512').update(data).digest('hex');
}

export function randomBlob(size = 1024): Buffer {
  return randomBytes(size);
}

export interface Client {
  url: string;
  headers: Record<string, string>;
}

export async function req(c: Client, method: string, path: string, init: { body?: Uint8Array | string; headers?: Record<string, string> } = {}): Promise<Response> {
  const url = path.startsWith('http') ? path : `${c.url}${path}`;
  return fetch(url, { method, body: init.body as BodyInit | undefined, headers: { ...c.headers, ...init.headers }, redirect: 'manual' });
}

/**
 * GET of a blob as docker and skopeo make it: a 307 (S3 storage: the bytes are at a presigned URL of
 * the storage) is followed, without the registry's credentials.
 */
export async function getBlob(c: Client, name: string, digest: string): Promise<Response> {
  const res = await req(c, 'GET', `/v2/${name}/blobs/${digest}`);
  if (res.status !== 307) return res;
  await res.arrayBuffer();
  return fetch(res.headers.get('location')!);
}

/** Body of an error response: its first error code. */
export async function errorCode(res: Response): Promise<string> {
  const body = await res.json() as { errors: Array<{ code: string }> };
  return body.errors[0].code;
}

export async function pushBlob(c: Client, name: string, data: Uint8Array, digest = sha256(data)): Promise<string> {
  let res = await req(c, 'POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, {
    body: data, headers: { 'Content-Type': 'application/octet-stream' },
  });
  if (res.status === 202) {
    // Registries without single-POST uploads (distribution 2.8) answer with a session: PUT to it.
    await res.arrayBuffer();
    const location = new URL(res.headers.get('location')!, c.url);
    location.searchParams.set('digest', digest);
    res = await req(c, 'PUT', location.toString(), { body: data, headers: { 'Content-Type': 'application/octet-stream' } });
  }
  if (res.status !== 201) throw new Error(`push blob: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
  return digest;
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/** Pushes a config and layers, then an OCI manifest naming them; returns the manifest and its digest. */
export async function pushImage(c: Client, name: string, tag: string, opts: { layers?: Buffer[]; extra?: Record<string, unknown> } = {}): Promise<{ digest: string; body: string; layers: string[] }> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, n: Math.random() }));
  const layers = opts.layers ?? [randomBlob(2048)];
  const configDigest = await pushBlob(c, name, config);
  const layerDigests: string[] = [];
  for (const l of layers) layerDigests.push(await pushBlob(c, name, l));
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: layers.map((l, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigests[i], size: l.length })),
    ...opts.extra,
  };
  const body = JSON.stringify(manifest);
  const res = await req(c, 'PUT', `/v2/${name}/manifests/${tag}`, { body, headers: { 'Content-Type': OCI_MANIFEST } });
  if (res.status !== 201) throw new Error(`push manifest: ${res.status} ${await res.text()}`);
  return { digest: res.headers.get('docker-content-digest')!, body, layers: layerDigests };
}

/** A request with the path sent exactly as given (fetch would normalise "..", this does not). */
export async function rawRequest(url: string, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  const { request } = await import('node:http');
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const r = request({ host: u.hostname, port: u.port, method, path, agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    r.on('error', reject);
    r.end(body);
  });
}
