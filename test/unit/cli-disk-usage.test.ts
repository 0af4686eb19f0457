import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderDiskUsage, renderDiskUsageVerbose, summaryRows, type ApiDiskUsage } from '../../src/cli/render/disk-usage.js';

const now = Date.parse('2026-01-02T00:00:00Z');

describe('system df rendering', () => {
  it('counts what docker counts as active and reclaimable', () => {
    const du: ApiDiskUsage = {
      LayersSize: 3_000_000,
      Images: [
        { Id: 'sha256:a', RepoTags: ['a:1'], Created: 0, Size: 2_000_000, SharedSize: 500_000, Containers: 2 },
        { Id: 'sha256:b', RepoTags: ['b:1'], Created: 0, Size: 1_500_000, SharedSize: 500_000, Containers: 0 },
        { Id: 'sha256:c', RepoTags: [], Created: 0, Size: 10, SharedSize: -1, Containers: 1 },
      ],
      Containers: [
        { Id: '1', State: 'running', SizeRw: 1000 }, { Id: '2', State: 'paused', SizeRw: 0 },
        { Id: '3', State: 'restarting', SizeRw: 0 }, { Id: '4', State: 'exited', SizeRw: 2000 },
      ],
      Volumes: [
        { Name: 'u', UsageData: { Size: 100, RefCount: 2 } }, { Name: 'x', UsageData: { Size: 200, RefCount: 0 } },
        { Name: 'unknown', UsageData: { Size: -1, RefCount: 0 } },
      ],
      BuildCache: [
        { ID: 'a', Size: 400, InUse: true }, { ID: 'b', Size: 300, Shared: true }, { ID: 'c', Size: 100 },
      ],
    };
    assert.deepEqual(summaryRows(du).map((r) => [r.Type(), r.TotalCount(), r.Active(), r.Size(), r.Reclaimable()]), [
      // in use: a's 1.5 MB of its own; c's size is unknown (-1 shared) and not counted
      ['Images', '3', '2', '3MB', '1.5MB (50%)'],
      ['Containers', '4', '3', '3kB', '2kB (66%)'],
      ['Local Volumes', '3', '1', '300B', '200B (66%)'],
      // the shared record is left out of the builder's size; the one in use is not reclaimable
      ['Build Cache', '3', '1', '500B', '100B'],
    ]);
  });

  it('prints nothing but headers for an empty daemon', () => {
    const empty: ApiDiskUsage = { LayersSize: 0, Images: [], Containers: [], Volumes: [], BuildCache: [] };
    assert.equal(renderDiskUsage(empty, 'table'),
      'TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE\n'
      + 'Images          0         0         0B        0B\n'
      + 'Containers      0         0         0B        0B\n'
      + 'Local Volumes   0         0         0B        0B\n'
      + 'Build Cache     0         0         0B        0B\n');
    assert.equal(renderDiskUsageVerbose(empty, 'json', now), '{"Images":[],"Containers":[],"Volumes":[],"BuildCache":[]}');
  });

  it('shows an image under its first name, familiar, and build cache least recently used first', () => {
    const du: ApiDiskUsage = {
      Images: [
        { Id: 'sha256:' + 'a'.repeat(64), RepoTags: ['docker.io/library/busybox:1', 'x:2'], Created: now / 1000 - 3, Size: 1234567, SharedSize: 0, Containers: 0 },
        { Id: 'sha256:' + 'b'.repeat(64), RepoTags: ['NotValid:1'], Created: 0, Size: 1, SharedSize: 0, Containers: 0 },
      ],
      BuildCache: [
        { ID: 'r2abcdefghijklmnop', Type: 'regular', Size: 2048, InUse: true, CreatedAt: '2026-01-01T23:00:00Z', LastUsedAt: '2026-01-01T23:59:00Z', UsageCount: 2 },
        { ID: 'r1', Type: 'source.local', Size: 10, CreatedAt: '2026-01-01T00:00:00Z', LastUsedAt: null, UsageCount: 0, Shared: true },
      ],
    };
    const out = renderDiskUsageVerbose(du, 'table', now);
    assert.match(out, /\nbusybox {6}1 {9}aaaaaaaaaaaa   3 seconds ago   1.23MB    0B            1.235MB       0\n\n/);
    assert.doesNotMatch(out, /bbbbbbbbbbbb/);
    assert.match(out, /\nBuild cache usage: 2\.048kB\n\nCACHE ID +CACHE TYPE +SIZE +CREATED +LAST USED +USAGE +SHARED\n/);
    assert.match(out, /\nr1 +source\.local +10B +24 hours ago +0 +true\nr2abcdefghij\* +regular +2\.05kB +About an hour ago +About a minute ago +2 +false\n$/);
  });
});
