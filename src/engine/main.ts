#!/usr/bin/env node
import { Command, Option } from 'commander';
import { readFile, writeFile, unlink, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { defaultConfig, readConfigFile, DEFAULT_SOCKET, type DaemonConfig } from './base/config.js';
import { Logger, isLogLevel } from './base/log.js';
import { checkDaemonLogOpts } from './containers/log-drivers.js';
import { Engine } from './services/engine.js';
import { BERTH_VERSION } from './base/version.js';
import { ApiServer } from './api/server.js';
import { openListeners, type Listener } from './api/listeners.js';
import { errorMessage, orIfMissing } from '../lib/errors.js';
import { bestEffort } from '../lib/best-effort.js';
import { parseUlimit, type Ulimit } from '../lib/ulimit.js';
import { hostResourceFacts } from './containers/host-resources.js';
import { checkUlimits } from './containers/resource-options.js';
import { parseAddRuntime } from './runtime/oci-runtimes.js';
import { corsWarning } from './api/cors.js';
import { checkTcpHosts, withTlsDefaults } from './api/tcp-policy.js';
import { checkAuthorization } from './api/authorization-check.js';
import { applyUsernsRemap } from './base/userns-remap.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function parseArgs(argv: string[]) {
  const program = new Command('berthd')
    .description('The Berth engine: a Docker-compatible container daemon')
    .version(BERTH_VERSION, '-v, --version')
    .option('-H, --host <host>', 'daemon socket(s) to listen on (unix://PATH, tcp://ADDR:PORT)', collect)
    .option('-g, --data-root <dir>', 'root directory of persistent state (default "/var/lib/berth")')
    .option('--exec-root <dir>', 'root directory for execution state (default "/var/run/berth")')
    .option('-p, --pidfile <file>', 'path to use for the daemon PID file (default "/var/run/berth.pid")')
    .option('--config-file <file>', 'daemon configuration file', '/etc/berth/daemon.json')
    .option('-D, --debug', 'enable debug mode')
    .addOption(new Option('-l, --log-level <level>', 'set the logging level').choices(['debug', 'info', 'warn', 'error', 'fatal']))
    .option('--tls [bool]', 'use TLS; implied by --tlsverify (--tls=false: accept the API on TCP without TLS)')
    .option('--tlsverify [bool]', 'use TLS and verify the remote (--tlsverify=false: accept TCP clients without certificates)')
    .option('-G, --group <group>', 'group for the unix socket (default "docker")')
    .option('--tlscacert <file>', 'trust certs signed only by this CA')
    .option('--tlscert <file>', 'path to TLS certificate file')
    .option('--tlskey <file>', 'path to TLS key file')
    .option('--insecure-registry <registry>', 'enable insecure registry communication', collect)
    .option('--registry-mirror <url>', 'preferred registry mirror', collect)
    .option('-b, --bridge <name>', 'attach containers to a network bridge')
    .option('--bip <cidr>', 'network bridge IP')
    .option('--default-address-pool <pool>', 'default address pools for node specific local networks (base=CIDR,size=N)', collect)
    .option('--iptables [bool]', 'enable addition of iptables rules (default true)')
    .option('--userland-proxy [bool]', 'use a userland proxy for loopback traffic to published ports (default true)')
    .option('--live-restore', 'keep containers alive during daemon downtime (always on)')
    .option('--audit-log <file>', 'write one JSON line per API request to FILE ("-" for stderr)')
    .option('--api-cors-header <origins>', 'set CORS headers in the Engine API ("*", an origin, or a comma-separated list of origins)')
    .option('--init', 'run an init in the container to forward signals and reap processes')
    .option('--default-ulimit <ulimit>', 'default ulimits for containers (name=soft[:hard])', collect)
    .option('--add-runtime <runtime>', 'register an additional OCI compatible runtime (name=path)', collect)
    .option('--default-runtime <name>', 'default OCI runtime for containers (default "runc")')
    .option('--userns-remap <user/group>', 'user/group setting for user namespaces')
    .option('--log-opt <opt>', 'default log driver options for containers (key=value)', collect)
    .parse(argv);
  return { opts: program.opts(), explicitConfigFile: program.getOptionValueSource('configFile') === 'cli' };
}

async function buildConfig(argv: string[]): Promise<DaemonConfig> {
  const { opts, explicitConfigFile } = parseArgs(argv);
  const fromFile = await readConfigFile(opts.configFile, explicitConfigFile);
  const config: DaemonConfig = { ...defaultConfig(), ...fromFile };
  if (opts.host) config.hosts = opts.host;
  if (config.hosts.length === 0) config.hosts = [DEFAULT_SOCKET];
  if (opts.dataRoot) config.dataRoot = opts.dataRoot;
  if (opts.execRoot) config.execRoot = opts.execRoot;
  if (opts.pidfile) config.pidfile = opts.pidfile;
  if (opts.debug) config.debug = true;
  if (opts.logLevel && isLogLevel(opts.logLevel)) config.logLevel = opts.logLevel;
  if (config.debug) config.logLevel = 'debug';
  if (fromFile.tls === false || fromFile.tlsVerify === false) config.plainTcp = true;
  if (opts.tls !== undefined) config.tls = parseFlagBool('tls', opts.tls);
  if (opts.tlsverify !== undefined) config.tlsVerify = parseFlagBool('tlsverify', opts.tlsverify);
  if ((opts.tls !== undefined && !config.tls) || (opts.tlsverify !== undefined && !config.tlsVerify)) config.plainTcp = true;
  if (opts.group !== undefined) config.group = opts.group;
  if (opts.tlscacert) config.tlsCaCert = opts.tlscacert;
  if (opts.tlscert) config.tlsCert = opts.tlscert;
  if (opts.tlskey) config.tlsKey = opts.tlskey;
  if (opts.insecureRegistry) config.insecureRegistries = opts.insecureRegistry;
  if (opts.registryMirror) config.registryMirrors = opts.registryMirror;
  if (opts.bridge) config.bridge = opts.bridge;
  if (opts.bip) config.bip = opts.bip;
  if (opts.defaultAddressPool) config.defaultAddressPools = opts.defaultAddressPool.map(parsePool);
  if (opts.iptables !== undefined) config.iptables = parseFlagBool('iptables', opts.iptables);
  if (opts.userlandProxy !== undefined) config.userlandProxy = parseFlagBool('userland-proxy', opts.userlandProxy);
  if (opts.auditLog) config.auditLog = opts.auditLog;
  if (opts.apiCorsHeader !== undefined) config.corsHeaders = opts.apiCorsHeader;
  if (opts.init) config.init = true;
  config.defaultUlimits = defaultUlimits(opts.defaultUlimit, config.defaultUlimits);
  if (opts.addRuntime) config.runtimes = { ...config.runtimes, ...Object.fromEntries(opts.addRuntime.map(parseAddRuntime)) };
  if (opts.defaultRuntime) config.defaultRuntime = opts.defaultRuntime;
  if (opts.usernsRemap !== undefined) config.usernsRemap = opts.usernsRemap;
  config.logOpts = checkDaemonLogOpts(opts.logOpt ? Object.fromEntries(opts.logOpt.map(keyValue)) : config.logOpts ?? {});
  return withTlsDefaults(config);
}

/** A boolean flag given as `--flag`, `--flag=true` or `--flag=false`, as Go's flag package reads them. */
function parseFlagBool(name: string, value: string | boolean): boolean {
  if (value === true || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new Error(`invalid boolean value "${value}" for --${name}`);
}

/** `key=value` of a repeatable flag (dockerd's message when the `=` is missing). */
function keyValue(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq < 1) throw new Error(`invalid key value pair format: ${text}`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

function parsePool(text: string): { base: string; size: number } {
  const fields = Object.fromEntries(text.split(',').map((kv) => kv.split('=') as [string, string]));
  if (!fields.base || !fields.size) throw new Error(`invalid default address pool: ${text} (want base=CIDR,size=N)`);
  return { base: fields.base, size: Number(fields.size) };
}

/**
 * `--default-ulimit` flags (which replace daemon.json's "default-ulimits", a map of name to
 * {Name, Soft, Hard}), each checked as a container's would be: a default above the daemon's own hard
 * limits would make every container fail to start.
 */
function defaultUlimits(flags: string[] | undefined, fromFile: unknown): Record<string, Ulimit> {
  const list = flags ? flags.map((f) => parseUlimit(f))
    : Object.entries((fromFile ?? {}) as Record<string, Partial<Ulimit>>).map(([name, u]) => ({ ...u, Name: name }));
  const checked = checkUlimits(list, hostResourceFacts(), 'default-ulimits');
  return Object.fromEntries(checked.map((u) => [u.Name, u]));
}

/** Refuses to start when the pid file names a live process: two daemons must not share one state. */
async function claimPidfile(path: string): Promise<void> {
  try {
    const pid = Number((await readFile(path, 'utf8')).trim());
    if (pid && pid !== process.pid) {
      try {
        process.kill(pid, 0);
        throw new Error(`pid file found, ensure berthd is not running or delete ${path}`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${process.pid}`);
}

async function main(): Promise<void> {
  const config = await buildConfig(process.argv);
  const log = new Logger(config.logLevel);
  checkTcpHosts(config, log);
  checkAuthorization(config, log);
  await claimPidfile(config.pidfile);
  log.info(`Starting berthd ${BERTH_VERSION} (data root ${config.dataRoot}, exec root ${config.execRoot})`);
  if (config.corsHeaders) log.warn(corsWarning(config.corsHeaders));
  await applyUsernsRemap(config, log);
  const engine = await Engine.start(config, log);
  const api = new ApiServer(engine);
  const listeners: Listener[] = await openListeners(config, api, log);
  log.info('Daemon has completed initialization');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`Processing signal '${signal}'`);
    await Promise.all(listeners.map((l) => l.close()));
    await engine.shutdown();
    await bestEffort(log, `removing the pid file ${config.pidfile}`, orIfMissing(unlink(config.pidfile), undefined));
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('terminated'));
  process.on('SIGINT', () => void stop('interrupt'));
  // logrotate's postrotate: reopen the audit log under its name
  process.on('SIGHUP', () => {
    log.info('Processing signal \'hangup\': reopening the audit log');
    try {
      api.reopenAuditLog();
    } catch (err) {
      log.error(`reopening the audit log ${config.auditLog}: ${errorMessage(err)}`);
    }
  });
}

main().catch((err) => {
  process.stderr.write(`berthd: ${errorMessage(err)}\n`);
  process.exit(1);
});
