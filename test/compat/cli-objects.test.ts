/**
 * berth against the docker CLI for networks and volumes: create, ls (table, -q, --format, filters),
 * inspect, connect/disconnect errors, rm and prune, with docker's messages and exit codes.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Compat } from './cli-harness.js';

const c = new Compat(`bo${process.pid}`);
const P = c.prefix;

describe('berth network and volume print what docker prints', { timeout: 60_000 }, () => {
  before(() => c.start());
  after(() => c.stop());

  it('creates networks with docker\'s request and refuses what docker refuses', async () => {
    const made = await c.berth(['network', 'create', '--subnet', '10.231.7.0/24', '--gateway', '10.231.7.1', '--internal', '--label', 'role=test', `${P}-n1`]);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /^[0-9a-f]{64}\n$/);
    const seen = await c.docker(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Internal}} {{.Labels}}', `${P}-n1`]);
    assert.equal(seen.stdout, '10.231.7.0/24 10.231.7.1 true map[role:test]\n');
    await c.sameEach(['network', 'create', '--gateway', '10.0.0.1', '{c}-x']);
    await c.sameEach(['network', 'create', '-l', 'x', '{c}-x']);
    await c.same(['network', 'create', `${P}-n1`]);
  });

  it('lists and inspects networks the same way', async () => {
    assert.equal((await c.docker(['network', 'create', '--label', 'role=other', `${P}-n2`])).code, 0);
    await c.same(['network', 'ls', '--filter', `name=${P}-`]);
    await c.same(['network', 'ls', '-q', '--filter', `name=${P}-`]);
    await c.same(['network', 'ls', '--no-trunc', '--filter', `name=${P}-`]);
    await c.same(['network', 'ls', '--filter', `label=role=test`, '--format', '{{.Name}} {{.Driver}} {{.Internal}} {{.Labels}} {{.Label "role"}}']);
    await c.same(['network', 'ls', '--filter', `name=${P}-`, '--format', 'table {{.Name}}\t{{.Scope}}']);
    await c.same(['network', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Internal}}', `${P}-n1`, `${P}-nothing`]);
    await c.same(['network', 'inspect', `${P}-nothing`]);
    await c.same(['network', 'connect', `${P}-nothing`, `${P}-nothing`]);
    await c.same(['network', 'disconnect', `${P}-nothing`, `${P}-nothing`]);
  });

  it('removes and prunes networks with docker\'s messages', async () => {
    await c.same(['network', 'rm', `${P}-nothing`]);
    await c.same(['network', 'rm', '-f', `${P}-nothing`]);
    const removed = await c.berth(['network', 'rm', `${P}-n1`]);
    assert.equal(removed.stdout, `${P}-n1\n`);
    await c.same(['network', 'prune', '-f', '--filter', `label=role=${P}-none`]);
    const pruned = await c.berth(['network', 'prune', '-f', '--filter', 'label=role=other']);
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.equal(pruned.stdout, `Deleted Networks:\n${P}-n2\n\n`);
    const declined = await c.berth(['network', 'prune'], { input: 'n\n' });
    assert.equal(declined.stdout, 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ');
  });

  it('creates, lists, inspects and removes volumes the same way', async () => {
    await c.sameEach(['volume', 'create', '--label', 'role=test', '{c}-v1']);
    await c.sameEach(['volume', 'create', '{c}-v1']);
    await c.same(['volume', 'ls', '--filter', `name=${P}-`]);
    await c.same(['volume', 'ls', '-q', '--filter', `name=${P}-`]);
    await c.same(['volume', 'ls', '--filter', `name=${P}-`, '--format', '{{.Name}} {{.Driver}} {{.Labels}} {{.Scope}}']);
    await c.same(['volume', 'ls', '--filter', `name=${P}-d`, '--format', 'json']);
    await c.same(['volume', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Labels}}', `${P}-d-v1`, `${P}-nothing`]);
    await c.same(['volume', 'inspect', `${P}-nothing`]);
    await c.same(['volume', 'create', '-l', 'x', `${P}-x`]);
    await c.sameEach(['volume', 'rm', '{c}-v1', `${P}-nothing`]);
    await c.same(['volume', 'rm', '-f', `${P}-nothing`]);
    await c.same(['volume', 'prune', '-f', '--filter', `label=role=${P}-none`]);
    const declined = await c.berth(['volume', 'prune'], { input: '\n' });
    assert.equal(declined.code, 0);
    assert.match(declined.stdout, /^WARNING! This will remove (anonymous|all) local volumes not used by at least one container\.\nAre you sure you want to continue\? \[y\/N\] $/);
  });
});
