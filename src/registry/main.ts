#!/usr/bin/env node
// berth-registry: `berth-registry [serve] [config.yml]` and `berth-registry garbage-collect [config.yml]`,
// configured like distribution's registry (config.yml plus REGISTRY_* environment overrides).
import { Command } from 'commander';
import { ConfigError, loadConfig, type RegistryConfig } from './base/config.js';
import { garbageCollect } from './gc.js';
import { parseGoDuration } from '../lib/go-duration.js';
import { createDriver, Registry } from './content/registry.js';
import { buildAuth, openRegistryHub, startServer } from './server.js';

function load(path: string | undefined): RegistryConfig {
  const config = loadConfig(path ?? process.env.REGISTRY_CONFIGURATION_PATH);
  for (const w of config.warnings) console.error(`berth-registry: warning: ${w}`);
  return config;
}

async function serve(path: string | undefined): Promise<void> {
  const config = load(path);
  const registry = new Registry(config, await createDriver(config));
  for (const w of buildAuth(registry).warnings) console.error(`berth-registry: warning: ${w}`);
  const running = await startServer(registry);
  const where = config.storage.driver === 's3' ? `s3 bucket ${String(config.storage.s3.bucket)}` : config.storage.filesystem.rootdirectory;
  console.error(`berth-registry: listening on ${config.http.addr} (${config.http.tls ? 'https' : 'http'}), storage ${where}` +
    `${config.auth ? `, auth ${config.auth.kind}` : ''}${config.deleteEnabled ? ', deletes enabled' : ''}` +
    `${config.hub ? `, hub ${config.hub.database}` : ', hub disabled'}`);
  const stop = () => {
    console.error('berth-registry: shutting down');
    void running.close().then(() => registry.driver.close?.()).then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function collect(path: string | undefined, opts: { dryRun?: boolean; deleteUntagged?: boolean; grace?: string }): Promise<void> {
  const config = load(path);
  let grace = config.gcGraceMs;
  if (opts.grace !== undefined) {
    try { grace = parseGoDuration(opts.grace) / 1e6; } catch (err) { throw new ConfigError(`--grace: ${(err as Error).message}`); }
    if (grace <= 0) throw new ConfigError(`--grace must be positive, not ${opts.grace}`);
  }
  const registry = new Registry(config, await createDriver(config));
  // Ctrl-C or SIGTERM stops the run at its next step and removes its tombstones (a second one kills it:
  // the next registry start or collection removes them then, docs/registry-gc.md).
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => { console.error(`berth-registry: ${signal}: stopping the collection`); stop.abort(); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const result = await garbageCollect(registry, {
    dryRun: opts.dryRun, deleteUntagged: opts.deleteUntagged, gracePeriodMs: grace, log: (line) => console.log(line), signal: stop.signal,
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (stop.signal.aborted) process.exitCode = 130;
  console.log(`${opts.dryRun ? 'would delete' : 'deleted'} ${result.deletedBlobs.length} blobs, ${result.deletedManifests.length} manifests,` +
    ` ${result.deletedLinks.length} layer links and ${result.purgedUploads.length} abandoned uploads` +
    `${result.rescued.length > 0 ? `; kept ${result.rescued.length} for pushes during the run` : ''}`);
  // Manifests deleted here may have taken tags or whole repositories with them: the hub follows.
  if (!opts.dryRun && result.deletedManifests.length > 0 && config.hub) await reindexHub(registry, () => {});
  await registry.driver.close?.();
}

async function reindexHub(registry: Registry, progress: (line: string) => void): Promise<void> {
  const hub = openRegistryHub(registry, buildAuth(registry));
  if (!hub) throw new ConfigError('the hub is disabled (hub.enabled: false): nothing to reindex');
  try {
    const result = await hub.reindex(progress);
    console.log(`hub: ${result.repositories} repositories, ${result.tags} tags indexed; ${result.removed.length} repositories removed`);
  } finally {
    hub.close();
  }
}

async function reindex(path: string | undefined, opts: { quiet?: boolean }): Promise<void> {
  const config = load(path);
  const registry = new Registry(config, await createDriver(config));
  try {
    await reindexHub(registry, opts.quiet ? () => {} : (line) => console.log(line));
  } finally {
    await registry.driver.close?.();
  }
}

const program = new Command('berth-registry')
  .description('A registry that speaks OCI Distribution v1.1, configured like distribution\'s registry');
program.command('serve', { isDefault: true })
  .description('serve the registry API')
  .argument('[config]', 'configuration file (config.yml); REGISTRY_* variables override it')
  .action((config?: string) => serve(config));
program.command('garbage-collect')
  .description('delete blobs no manifest references (safe while the registry serves pushes: see docs/registry-gc.md)')
  .argument('[config]', 'configuration file (config.yml)')
  .option('-d, --dry-run', 'only print what would be deleted')
  .option('-m, --delete-untagged', 'also delete manifests that no tag reaches')
  .option('--grace <duration>', 'keep blobs, links, untagged manifests and uploads younger than this (default gc.grace, else 1h)')
  .action((config: string | undefined, opts: { dryRun?: boolean; deleteUntagged?: boolean; grace?: string }) => collect(config, opts));

const hubCommand = program.command('hub').description('the hub\'s metadata (stars, descriptions, search)');
hubCommand.command('reindex')
  .description('rebuild the hub\'s repositories and tags from storage; repositories storage no longer holds leave it')
  .argument('[config]', 'configuration file (config.yml)')
  .option('-q, --quiet', 'print only the totals')
  .action((config: string | undefined, opts: { quiet?: boolean }) => reindex(config, opts));

program.parseAsync(process.argv).catch((err) => {
  console.error(`berth-registry: ${err instanceof ConfigError ? err.message : (err as Error)?.stack ?? err}`);
  process.exit(1);
});
