import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotFoundError } from '../../lib/errors.js';
import { hubName } from './hub-store.js';
import { SqliteHubStore } from './sqlite-hub-store.js';

const page = { page: 1, pageSize: 25 };
const amd64 = [{ os: 'linux', architecture: 'amd64' }];

function tag(name: string, digest = `sha256:${'a'.repeat(64)}`) {
  return { name, digest, size: 1234, media_type: 'application/vnd.oci.image.manifest.v1+json', platforms: amd64 };
}

function withStore(run: (store: SqliteHubStore, path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'berth-hub-store-'));
  const path = join(dir, 'sub', 'hub.db');
  const store = new SqliteHubStore({ path });
  try { run(store, path); } finally { store.close(); rmSync(dir, { recursive: true, force: true }); }
}

test('the Hub name of a repository: first segment is the namespace, none is library', () => {
  assert.deepEqual(hubName('alice/tool'), { namespace: 'alice', name: 'tool' });
  assert.deepEqual(hubName('busybox'), { namespace: 'library', name: 'busybox' });
  assert.deepEqual(hubName('team/sub/app'), { namespace: 'team', name: 'sub/app' });
});

test('a push creates the repository with its tag; library/ finds a namespace-less one', () => {
  withStore((store) => {
    store.recordPush('alice/tool', tag('1.0'), new Date('2026-01-02T03:04:05Z'));
    store.recordPush('busybox', tag('latest'));
    const tool = store.getRepository('alice/tool')!;
    assert.equal(tool.namespace, 'alice');
    assert.equal(tool.name, 'tool');
    assert.equal(tool.tags_count, 1);
    assert.equal(tool.last_updated, '2026-01-02T03:04:05.000Z');
    assert.equal(tool.star_count, 0);
    assert.equal(store.findRepository('library', 'busybox')?.repository, 'busybox');
    assert.equal(store.findRepository('alice', 'tool')?.repository, 'alice/tool');
    assert.equal(store.findRepository('bob', 'tool'), undefined);
    assert.deepEqual(store.repositoryNames(), ['alice/tool', 'busybox']);
    const tags = store.listTags('alice/tool', page);
    assert.equal(tags.count, 1);
    assert.deepEqual(tags.results[0].platforms, amd64);
    assert.equal(tags.results[0].last_pushed, '2026-01-02T03:04:05.000Z');
  });
});

test('stars count once per user, unstar removes one, starred lists per user', () => {
  withStore((store) => {
    store.recordPush('alice/tool', tag('1'));
    assert.equal(store.star('alice/tool', 'alice'), true);
    assert.equal(store.star('alice/tool', 'alice'), false);
    assert.equal(store.star('alice/tool', 'bob'), true);
    assert.equal(store.getRepository('alice/tool')!.star_count, 2);
    assert.equal(store.hasStarred('alice/tool', 'bob'), true);
    assert.deepEqual(store.starredBy('bob', page).results.map((r) => r.repository), ['alice/tool']);
    assert.equal(store.unstar('alice/tool', 'bob'), true);
    assert.equal(store.unstar('alice/tool', 'bob'), false);
    assert.equal(store.getRepository('alice/tool')!.star_count, 1);
    assert.equal(store.starredBy('bob', page).count, 0);
    assert.throws(() => store.star('nobody/here', 'bob'), NotFoundError);
  });
});

test('search ranks the exact name, then prefix, then substring, then description, then stars and pulls', () => {
  withStore((store) => {
    for (const name of ['x/toolbox', 'y/tool', 'z/mytool', 'w/other', 'v/toolkit', 'tool']) store.recordPush(name, tag('1'));
    store.updateRepository('w/other', { description: 'A handy Tool for builds' });
    store.star('v/toolkit', 'alice');
    store.recordPull('x/toolbox');
    const names = store.search('tool', page).results.map((r) => r.repository);
    // Exact (name "tool": y/tool and tool), prefix (toolkit has a star, toolbox a pull), substring, description.
    assert.deepEqual(names, ['tool', 'y/tool', 'v/toolkit', 'x/toolbox', 'z/mytool', 'w/other']);
    assert.equal(store.search('tool', page).count, 6);
    assert.deepEqual(store.search('TOOL', { page: 2, pageSize: 4 }).results.map((r) => r.repository), ['z/mytool', 'w/other']);
    assert.deepEqual(store.search('handy builds', page).results.map((r) => r.repository), ['w/other']);
    // Short words are found by scanning, with the same rule.
    assert.deepEqual(store.search('a handy', page).results.map((r) => r.repository), ['w/other']);
    assert.deepEqual(store.search('my', page).results.map((r) => r.repository), ['z/mytool']);
    assert.deepEqual(store.search('y/tool', page).results.map((r) => r.repository)[0], 'y/tool');
    assert.equal(store.search('nothing-like-it', page).count, 0);
    assert.equal(store.search('', page).results[0].repository, 'v/toolkit');
    assert.equal(store.search('"; drop table x', page).count, 0);
    assert.equal(store.search('100%', page).count, 0);
  });
});

test('a description change is searchable at once; a removed repository leaves search and starred lists', () => {
  withStore((store) => {
    store.recordPush('alice/app', tag('1'));
    store.star('alice/app', 'bob');
    store.updateRepository('alice/app', { description: 'frobnicator', full_description: '# App', is_official: true });
    const app = store.getRepository('alice/app')!;
    assert.equal(app.full_description, '# App');
    assert.equal(app.is_official, true);
    assert.equal(store.search('frobnic', page).count, 1);
    store.updateRepository('alice/app', { description: 'something else' });
    assert.equal(store.search('frobnic', page).count, 0);
    store.removeRepository('alice/app');
    assert.equal(store.search('app', page).count, 0);
    assert.equal(store.starredBy('bob', page).count, 0);
    assert.equal(store.getRepository('alice/app'), undefined);
    assert.throws(() => store.updateRepository('alice/app', { description: 'x' }), NotFoundError);
  });
});

test('tags: removal recounts, replaceTags keeps push times of unchanged tags', () => {
  withStore((store) => {
    const early = new Date('2025-05-05T00:00:00Z');
    store.recordPush('team/sub/app', tag('1'), early);
    store.recordPush('team/sub/app', tag('2', `sha256:${'b'.repeat(64)}`), early);
    store.removeTags('team/sub/app', ['2', 'nope']);
    assert.equal(store.getRepository('team/sub/app')!.tags_count, 1);
    store.replaceTags('team/sub/app', [tag('1'), tag('3', `sha256:${'c'.repeat(64)}`)]);
    assert.equal(store.getTag('team/sub/app', '1')!.last_pushed, early.toISOString());
    assert.notEqual(store.getTag('team/sub/app', '3')!.last_pushed, early.toISOString());
    assert.equal(store.listTags('team/sub/app', page).count, 2);
    assert.equal(store.listTags('team/sub/app', page).results[0].name, '3');
    assert.deepEqual(store.listNamespace('team', page).results.map((r) => r.name), ['sub/app']);
  });
});

test('lists: by namespace, most starred, most pulled, recently pushed', () => {
  withStore((store) => {
    store.recordPush('busybox', tag('1'), new Date(1000));
    store.recordPush('library/alpine', tag('1'), new Date(3000));
    store.recordPush('alice/a', tag('1'), new Date(2000));
    store.star('alice/a', 'bob');
    store.recordPull('busybox');
    store.recordPull('busybox');
    store.recordPull('alice/a');
    assert.deepEqual(store.listNamespace('library', page).results.map((r) => r.repository), ['library/alpine', 'busybox']);
    assert.deepEqual(store.mostStarred(10).map((r) => r.repository), ['alice/a']);
    assert.deepEqual(store.mostPulled(10).map((r) => [r.repository, r.pull_count]), [['busybox', 2], ['alice/a', 1]]);
    assert.deepEqual(store.recentlyPushed(2).map((r) => r.repository), ['library/alpine', 'alice/a']);
  });
});

test('everything is still there when the database is opened again', () => {
  withStore((store, path) => {
    store.recordPush('alice/tool', tag('1'));
    store.star('alice/tool', 'alice');
    store.recordPull('alice/tool');
    store.updateRepository('alice/tool', { description: 'kept' });
    const again = new SqliteHubStore({ path });
    try {
      const tool = again.getRepository('alice/tool')!;
      assert.deepEqual([tool.star_count, tool.pull_count, tool.description], [1, 1, 'kept']);
      assert.equal(again.search('kept', page).count, 1);
    } finally { again.close(); }
  });
});
