/**
 * `berth system df` against `docker system df` on the same daemon: images (one dangling, layers
 * shared), containers running, paused and stopped with data in their writable layers, volumes used
 * and unused. The summary forms have no IDs or times, so they must match byte for byte; the verbose
 * form is compared with IDs and "x seconds ago" normalised.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Compat } from './cli-harness.js';

const c = new Compat(`df${process.pid}`);
const P = c.prefix;

async function ok(args: string[]): Promise<string> {
  const r = await c.docker(args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Both CLIs byte for byte, without normalisation. */
async function exactly(args: string[]): Promise<string> {
  const d = await c.docker(args);
  const b = await c.berth(args);
  assert.equal(d.code, 0, d.stderr);
  assert.equal(b.stdout, d.stdout, `stdout of ${args.join(' ')}`);
  assert.equal(b.stderr, d.stderr, `stderr of ${args.join(' ')}`);
  assert.equal(b.code, d.code);
  return b.stdout;
}

describe('berth system df prints what docker prints', { timeout: 120_000 }, () => {
  before(async () => {
    await c.start();
    // imported twice under one name: the first import is left dangling, both share the busybox layer
    await c.importBusybox();
    const image = await c.importBusybox();
    await ok(['tag', image, `${P}-bb:v2`]);
    await ok(['volume', 'create', `${P}-used`]);
    await ok(['volume', 'create', `${P}-unused`]);
    await ok(['run', '-d', '--name', `${P}-run`, '-v', `${P}-used:/data`, image, 'sleep', '1000']);
    await ok(['exec', `${P}-run`, 'dd', 'if=/dev/zero', 'of=/data/f', 'bs=1k', 'count=300']);
    await ok(['exec', `${P}-run`, 'dd', 'if=/dev/zero', 'of=/big', 'bs=1k', 'count=1200']);
    await ok(['run', '--name', `${P}-stopped`, image, 'dd', 'if=/dev/zero', 'of=/x', 'bs=1k', 'count=50']);
    await ok(['run', '-d', '--name', `${P}-paused`, '-v', '/anon', image, 'sleep', '1000']);
    await ok(['pause', `${P}-paused`]);
  });
  after(async () => {
    // its anonymous volume carries no prefix: removed with the container
    await c.docker(['rm', '-f', '-v', `${P}-paused`]);
    await c.stop();
  });

  it('prints the summary table, its percentages and docker\'s units', async () => {
    const out = await exactly(['system', 'df']);
    assert.match(out, /^TYPE {12}TOTAL {5}ACTIVE {4}SIZE {6}RECLAIMABLE\n/);
    if (!process.env.BERTH_COMPAT_HOST) {
      // running and paused containers are active; the stopped one's 50 kB is reclaimable
      assert.match(out, /\nContainers {6}3 {9}2 {9}1\.\d+MB +51\.2kB \(4%\)\n/);
      assert.match(out, /\nLocal Volumes {3}3 {9}2 {9}307\.2kB +0B \(0%\)\n/);
      assert.match(out, /\nBuild Cache {5}0 {9}0 {9}0B +0B\n$/);
    }
  });

  it('prints the summary through templates, json and raw', async () => {
    const typed = await exactly(['system', 'df', '--format', '{{.Type}} {{.TotalCount}}']);
    assert.match(typed, /^Images \d+\nContainers \d+\nLocal Volumes \d+\nBuild Cache \d+\n$/);
    const json = await exactly(['system', 'df', '--format', 'json']);
    assert.deepEqual(Object.keys(JSON.parse(json.split('\n')[0]!)), ['Active', 'Reclaimable', 'Size', 'TotalCount', 'Type']);
    await exactly(['system', 'df', '--format', 'table {{.Type}}\t{{.Reclaimable}}']);
    await exactly(['system', 'df', '--format', 'raw']);
    const bad = await c.berth(['system', 'df', '--format', '{{.Nothing}}']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^template parsing error: template: :1:2: executing "" at <\.Nothing>: can't evaluate field Nothing in type /);
  });

  it('prints the verbose sections the same way', async () => {
    const out = (await c.same(['system', 'df', '-v'])).stdout;
    assert.match(out, /^Images space usage:\n\nREPOSITORY +TAG +IMAGE ID +CREATED +SIZE +SHARED SIZE +UNIQUE SIZE +CONTAINERS\n/);
    assert.match(out, new RegExp(`\\n${P}-bb +latest +[0-9a-f]{12} `));
    assert.match(out, /\n<none> +<none> +[0-9a-f]{12} /);
    assert.match(out, new RegExp(`\\n[0-9a-f]{12} +${P}-bb:latest +"dd if=/dev/zero of=…" +0 +51\\.2kB +.* ago +Exited \\(0\\) .* ago +${P}-stopped\\n`));
    assert.match(out, new RegExp(`\\n${P}-used +1 +307\\.2kB\\n`));
    assert.match(out, new RegExp(`\\n${P}-unused +0 +0B\\n`));
    assert.match(out, /\nBuild cache usage: 0B\n\nCACHE ID +CACHE TYPE +SIZE +CREATED +LAST USED +USAGE +SHARED\n$/);
  });

  it('runs verbose templates over all sections, with docker\'s json and raw forms', async () => {
    const json = (await c.same(['system', 'df', '-v', '--format', 'json'])).stdout;
    assert.deepEqual(Object.keys(JSON.parse(json)), ['Images', 'Containers', 'Volumes', 'BuildCache']);
    await c.same(['system', 'df', '-v', '--format', 'raw']);
    await c.same(['system', 'df', '-v', '--format', '{{range .Containers}}{{.Names}} {{.Size}} {{.State}}\n{{end}}']);
    await c.same(['system', 'df', '-v', '--format', 'table {{range .Volumes}}{{.Name}}\t{{.Links}}\n{{end}}']);
  });
});
