/**
 * What berth's compat suites share: a daemon to run both CLIs against (a fresh berthd from
 * startDaemon(), or BERTH_COMPAT_HOST=unix:///path for another daemon such as the reference dockerd,
 * where a suite only touches objects carrying its own prefix), the two CLIs, and the comparison of
 * their output with IDs, times and the program's name normalised.
 */
import assert from 'node:assert/strict';
import { BERTH, DOCKER, run, startDaemon, type RunResult, type TestDaemon } from '../helpers/daemon.js';
import { makeBusyboxTar } from '../helpers/busybox.js';

export interface RunOptions {
  /** Run both CLIs at once (for commands that wait on containers started together). */
  parallel?: boolean;
  /** Compare output lines as sets (the daemon's order is not stable, e.g. `diff`). */
  unordered?: boolean;
  input?: string;
  env?: Record<string, string>;
  cwd?: string;
}

export function normalize(text: string): string {
  return text
    // the docker CLI's own logrus noise when the daemon closes an upload early
    .replace(/^time="[^"]*" level=error msg=.*\n/gm, '')
    .replace(/\b[0-9a-f]{64}\b/g, '<ID>')
    .replace(/\b[0-9a-f]{12}\b/g, '<id>')
    .replace(/(Less than a second|About a minute|About an hour|\d+ (seconds?|minutes|hours|days))( ago)?/g, '<time>$3')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<ts>')
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? [+-]\d{4} \w+/g, '<date>')
    .replace(/ +(?=\n|$)/g, '')
    .replace(/ {3,}/g, '   ')
    .replace(/\bdocker\b/g, 'berth')
    .replace(/\bDocker daemon\b/g, 'Berth daemon');
}

export class Compat {
  daemon?: TestDaemon;
  host = '';

  constructor(readonly prefix: string) {}

  async start(): Promise<void> {
    if (process.env.BERTH_COMPAT_HOST) this.host = process.env.BERTH_COMPAT_HOST;
    else {
      this.daemon = await startDaemon();
      this.host = this.daemon.host;
    }
  }

  docker(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return runIn(DOCKER, ['-H', this.host, ...args], opts);
  }

  /** `node -- berth ...`: the `--` keeps node from taking berth's own flags (node 20 reads --env-file anywhere). */
  berth(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return runIn(process.execPath, ['--', BERTH, '-H', this.host, ...args], opts);
  }

  /** The same command through both CLIs: same output and exit code. */
  async same(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const d = await this.docker(args, opts);
    const b = await this.berth(args, opts);
    assert.equal(normalize(b.stdout), normalize(d.stdout), `stdout of ${args.join(' ')}`);
    assert.equal(normalize(b.stderr), normalize(d.stderr), `stderr of ${args.join(' ')}`);
    assert.equal(b.code, d.code, `exit code of ${args.join(' ')}`);
    return b;
  }

  /** The same command, each CLI on its own objects: `{c}` is `<prefix>-d` for docker, `<prefix>-b` for berth. */
  async sameEach(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const forCli = (suffix: string): string[] => args.map((a) => a.replaceAll('{c}', `${this.prefix}-${suffix}`));
    const un = (t: string, suffix: string): string => normalize(t.replaceAll(`${this.prefix}-${suffix}`, '{c}'));
    const [d, b] = opts.parallel
      ? await Promise.all([this.docker(forCli('d'), opts), this.berth(forCli('b'), opts)])
      : [await this.docker(forCli('d'), opts), await this.berth(forCli('b'), opts)];
    const sort = (t: string): string => (opts.unordered ? t.split('\n').sort().join('\n') : t);
    assert.equal(sort(un(b.stdout, 'b')), sort(un(d.stdout, 'd')), `stdout of ${args.join(' ')}`);
    assert.equal(un(b.stderr, 'b'), un(d.stderr, 'd'), `stderr of ${args.join(' ')}`);
    assert.equal(b.code, d.code, `exit code of ${args.join(' ')}`);
    return b;
  }

  /** Imports a busybox image named `<prefix>-bb:latest` (through docker: berth's import is tested elsewhere). */
  async importBusybox(): Promise<string> {
    const image = `${this.prefix}-bb:latest`;
    const { tar, cleanup } = await makeBusyboxTar();
    try {
      const r = await this.docker(['import', '-c', 'CMD ["sh"]', tar, image]);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      await cleanup();
    }
    return image;
  }

  /** Removes the containers, images, networks and volumes whose names start with the prefix; stops our daemon. */
  async stop(): Promise<void> {
    // a daemon that died during the suite is started again, so its containers can still be removed
    if (this.daemon && !(await this.daemon.ping())) await this.daemon.launch().catch(() => {});
    if (this.host) {
      const P = this.prefix;
      const ids = (await this.docker(['ps', '-aq', '--filter', `name=${P}`])).stdout.split('\n').filter(Boolean);
      if (ids.length) await this.docker(['rm', '-f', ...ids]);
      const images = (await this.docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.split('\n')
        .filter((i) => i.startsWith(P) || i.includes(`/${P}`));
      if (images.length) await this.docker(['rmi', '-f', ...images]);
      const nets = (await this.docker(['network', 'ls', '--format', '{{.Name}}'])).stdout.split('\n').filter((n) => n.startsWith(P));
      if (nets.length) await this.docker(['network', 'rm', ...nets]);
      const vols = (await this.docker(['volume', 'ls', '--format', '{{.Name}}'])).stdout.split('\n').filter((n) => n.startsWith(P));
      if (vols.length) await this.docker(['volume', 'rm', '-f', ...vols]);
    }
    await this.daemon?.stop();
  }
}

function runIn(cmd: string, args: string[], opts: RunOptions): Promise<RunResult> {
  if (!opts.cwd) return run(cmd, args, { input: opts.input, env: opts.env });
  // the shared run() has no cwd: go through a shell that changes directory first
  return run('/bin/sh', ['-c', 'cd "$0" && exec "$@"', opts.cwd, cmd, ...args], { input: opts.input, env: opts.env });
}
