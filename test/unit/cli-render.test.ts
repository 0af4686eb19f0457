import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bytesSize, ellipsis, formatG, humanDuration, humanSize, truncateId } from '../../src/cli/base/units.js';
import { tabwrite } from '../../src/cli/render/tabwriter.js';
import { renderList } from '../../src/cli/render/formatter.js';
import { CONTAINER_HEADER, ContainerContext, PS_TABLE, displayablePorts, imageRows } from '../../src/cli/render/contexts.js';

describe('human units (go-units)', () => {
  it('formats durations like HumanDuration', () => {
    const s = 1000;
    assert.equal(humanDuration(500), 'Less than a second');
    assert.equal(humanDuration(1 * s), '1 second');
    assert.equal(humanDuration(3 * s), '3 seconds');
    assert.equal(humanDuration(59 * s), '59 seconds');
    assert.equal(humanDuration(60 * s), 'About a minute');
    assert.equal(humanDuration(119 * s), 'About a minute');
    assert.equal(humanDuration(2 * 60 * s), '2 minutes');
    assert.equal(humanDuration(3600 * s), 'About an hour');
    assert.equal(humanDuration(5 * 3600 * s), '5 hours');
    assert.equal(humanDuration(3 * 86400 * s), '3 days');
    assert.equal(humanDuration(20 * 86400 * s), '2 weeks');
    assert.equal(humanDuration(90 * 86400 * s), '3 months');
    assert.equal(humanDuration(800 * 86400 * s), '2 years');
  });

  it('formats sizes like HumanSizeWithPrecision and BytesSize', () => {
    assert.equal(humanSize(0), '0B');
    assert.equal(humanSize(999), '999B');
    assert.equal(humanSize(1984172), '1.98MB');
    assert.equal(humanSize(4260000), '4.26MB');
    assert.equal(humanSize(1500), '1.5kB');
    assert.equal(humanSize(2e9), '2GB');
    assert.equal(humanSize(999600), '1e+03kB');
    assert.equal(bytesSize(25275731968), '23.54GiB');
    assert.equal(formatG(0.000012345, 3), '1.23e-05');
  });

  it('truncates IDs and text like docker', () => {
    assert.equal(truncateId('sha256:f0aafbf5d67d5c48a293968fc86b784ef07dfe647eff82d9a09419a16d7c2322'), 'f0aafbf5d67d');
    assert.equal(ellipsis("sh -c 'while true; do echo hi; done'", 20), "sh -c 'while true; …");
    assert.equal(ellipsis('short', 20), 'short');
  });
});

describe('tabwriter', () => {
  it('pads columns to the widest cell plus 3, at least 10', () => {
    const out = tabwrite('CONTAINER ID\tIMAGE\tNAMES\nabc\tbusybox-long-name\tx\n');
    assert.equal(out, 'CONTAINER ID   IMAGE               NAMES\nabc            busybox-long-name   x\n');
  });

  it('renders an empty ps table with docker\'s header', () => {
    assert.equal(renderList('table', PS_TABLE, [], CONTAINER_HEADER),
      'CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n');
  });

  it('renders ps rows as docker does', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 10);
    const c = new ContainerContext({
      Id: '6f98cd08b236567e7d812de8601f5f98abd695bdff85428fb98e3b4716bfde7c', Names: ['/sleeper'], Image: 'busybox',
      Command: "sh -c 'while true; do echo hi; sleep 1; done'", Created: now / 1000 - 7, State: 'running', Status: 'Up 7 seconds',
    }, true, now);
    assert.equal(renderList('table', PS_TABLE, [c], CONTAINER_HEADER),
      'CONTAINER ID   IMAGE     COMMAND                  CREATED         STATUS         PORTS     NAMES\n' +
      '6f98cd08b236   busybox   "sh -c \'while true; …"   7 seconds ago   Up 7 seconds             sleeper\n');
    assert.equal(renderList('table {{.ID}}\\t{{.Names}}', PS_TABLE, [c], CONTAINER_HEADER),
      'CONTAINER ID   NAMES\n6f98cd08b236   sleeper\n');
    assert.equal(renderList('{{.Names}}:{{.State}}', PS_TABLE, [c, c], CONTAINER_HEADER), 'sleeper:running\nsleeper:running\n');
  });

  it('shows ports, grouping ranges', () => {
    assert.equal(displayablePorts([
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { PrivatePort: 443, Type: 'tcp' }, { PrivatePort: 444, Type: 'tcp' }, { PrivatePort: 53, Type: 'udp' },
    ]), '0.0.0.0:8080->80/tcp, 443-444/tcp, 53/udp');
  });

  it('lists one images row per tag and <none> for untagged', () => {
    const rows = imageRows([
      { Id: 'sha256:' + 'b'.repeat(64), RepoTags: ['busybox:latest', 'my/bb:1'], Created: 0, Size: 1984172 },
      { Id: 'sha256:' + 'c'.repeat(64), RepoTags: null, Created: 0, Size: 10 },
    ], true, false);
    assert.deepEqual(rows.map((r) => [r.Repository(), r.Tag(), r.ID(), r.Size()]), [
      ['busybox', 'latest', 'bbbbbbbbbbbb', '1.98MB'], ['my/bb', '1', 'bbbbbbbbbbbb', '1.98MB'], ['<none>', '<none>', 'cccccccccccc', '10B'],
    ]);
  });
});
