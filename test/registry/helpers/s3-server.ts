// A real S3-compatible server for tests: Ceph's radosgw over a throwaway one-OSD (memstore) cluster,
// started by ceph-rgw.sh on loopback ports and stopped (every daemon, every file) by stop().
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort, ROOT, tempDir } from './registry.js';

const run = promisify(execFile);

export interface S3Server {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startS3Server(): Promise<S3Server> {
  process.env.AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING ??= '1';
  const dir = tempDir('berth-rgw-');
  const port = await freePort();
  const monPort = await freePort();
  const accessKey = 'BERTHTESTACCESSKEY';
  const secretKey = 'berth-test-secret-key';
  const stop = async () => {
    const pidDir = join(dir, 'run');
    let pids: number[] = [];
    try {
      pids = readdirSync(pidDir).filter((f) => f.endsWith('.pid')).map((f) => Number(readFileSync(join(pidDir, f), 'utf8').trim()));
    } catch { /* nothing started */ }
    for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    for (const pid of pids) {
      for (let i = 0; i < 100; i++) {
        try { process.kill(pid, 0); } catch { break; }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await run('bash', [join(ROOT, 'test/registry/helpers/ceph-rgw.sh'), dir, String(port), String(monPort), accessKey, secretKey], { timeout: 600_000 });
  } catch (err) {
    await stop();
    throw err;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint, accessKey, secretKey, region: 'us-east-1',
    async createBucket(name: string) {
      const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: accessKey, secretAccessKey: secretKey } });
      await client.send(new CreateBucketCommand({ Bucket: name }));
      client.destroy();
    },
    stop,
  };
}
