import { randomInt } from 'node:crypto';
import { spawn } from 'node:child_process';

/**
 * An address pool of its own for one test daemon (10.<random>.0.0/16 in /24s), so daemons running
 * at once never pick the same subnets. 10.1xx is far from the usual host and Docker ranges.
 */
export function testPool(): { base: string; size: number } {
  return { base: `10.${randomInt(100, 200)}.0.0/16`, size: 24 };
}

/** berthd flags for a test daemon with its own pool (its default bridge is named after its exec root). */
export function networkDaemonArgs(): string[] {
  const pool = testPool();
  return ['--default-address-pool', `base=${pool.base},size=${pool.size}`];
}

/** Runs a command without stdin; resolves with its exit code and output (never rejects on failure). */
export function sh(cmd: string, args: string[], timeoutMs = 20_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Retries `check` every 100 ms for up to 10 s. */
export async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out: ${what}`);
}
