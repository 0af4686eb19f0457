// Docker's classic builder (moby builder/dockerfile): the Dockerfile's stages run in order, each
// instruction a step that makes an image on top of the previous one (a new layer for RUN, COPY and ADD,
// a config change for the others), found in the layer cache when an identical step ran before. The
// output is the `Step 1/5 : ...` / ` ---> 1234abcd` stream the docker CLI prints.
import { join } from 'node:path';
import type { BuildServices } from './build-service.js';
import { InvalidArgumentError, NotFoundError } from '../../lib/errors.js';
import { familiarString, parseReference, withDefaultTag } from '../../lib/image-reference.js';
import { applyChanges, processWord, splitWords } from '../images/config-changes.js';
import { hostPlatform, type ImageConfig, type ImageRuntimeConfig } from '../images/image-config.js';
import { shortId } from '../images/image-store.js';
import type { LayerInfo } from '../images/layer-store.js';
import { resolveUser } from '../containers/user-lookup.js';
import { ProgressReporter } from '../progress/json-progress.js';
import { pullImage } from '../distribution/pull.js';
import { BuildArgs, type StageArgs } from './build-args.js';
import { stepKey, type BuildCache } from './build-cache.js';
import type { BuildContext } from './build-context.js';
import type { BuildOutput } from './build-output.js';
import { runStep } from './build-step-run.js';
import { copyInto, makeDirIn, selectSources, sourcesDigest, type CopyRequest } from './copy-files.js';
import { parseInstruction, type Dockerfile, type Instruction, type Stage } from './dockerfile-parser.js';
import type { BuildOptions } from './build-plan.js';
import { Snapshot, withSnapshot } from './snapshot.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** Where a stage is: the image made by its last step ('' for an empty scratch stage) and its config. */
interface StageState {
  name: string;
  imageId: string;
  image: ImageConfig;
  config: ImageRuntimeConfig;
  args: StageArgs;
  /** CMD was set in this stage (then ENTRYPOINT keeps it). */
  cmdSet: boolean;
}

interface StageResult {
  name: string;
  imageId: string;
}

export class Builder {
  private readonly args: BuildArgs;
  private readonly results: StageResult[] = [];
  private step = 0;
  private total = 0;
  private snapshots = 0;

  constructor(
    private readonly engine: BuildServices,
    private readonly context: BuildContext,
    private readonly options: BuildOptions,
    private readonly out: BuildOutput,
    private readonly cache: BuildCache,
  ) {
    this.args = new BuildArgs(options.buildArgs);
  }

  private sources?: Set<string>;

  /** Runs the build; returns the final image ID (tags applied). Errors are thrown for the caller to report. */
  async build(file: Dockerfile, stages: Stage[]): Promise<string> {
    this.total = file.metaArgs.length + stages.reduce((n, s) => n + 1 + s.instructions.length, 0);
    for (const ins of file.metaArgs) {
      this.printStep(ins);
      const { name, value } = argDeclaration(ins);
      this.args.declareMeta(name, value);
    }
    let state: StageState | undefined;
    for (const stage of stages) {
      this.printStep(stage.from);
      state = await this.from(stage);
      this.out.stream(` ---> ${state.imageId ? shortId(state.imageId) : ''}\n`);
      for (const ins of stage.instructions) {
        if (this.out.closed) throw new InvalidArgumentError('build cancelled: the client went away');
        this.printStep(ins);
        await this.dispatch(state, ins);
        this.out.stream(` ---> ${state.imageId ? shortId(state.imageId) : ''}\n`);
      }
      if (state.imageId) this.out.aux(state.imageId);
      this.results.push({ name: stage.name, imageId: state.imageId });
    }
    const warning = this.args.unusedWarning();
    if (warning) this.out.stream(warning);
    if (!state?.imageId) throw new InvalidArgumentError('No image was generated. Is your Dockerfile empty?');
    this.out.stream(`Successfully built ${shortId(state.imageId)}\n`);
    for (const tag of this.options.tags) {
      await this.engine.images.tag(state.imageId, tag);
      this.out.stream(`Successfully tagged ${familiarString(tag)}\n`);
    }
    return state.imageId;
  }

  private printStep(ins: Instruction): void {
    this.step++;
    this.out.stream(`Step ${this.step}/${this.total} : ${ins.original}`);
    this.out.stream('\n');
  }

  // ---- FROM ----

  private async from(stage: Stage): Promise<StageState> {
    const name = processWord(stage.base, this.args.metaVars());
    if (!name) throw new InvalidArgumentError(`base name (${stage.base}) should not be blank`);
    const args = this.args.stage();
    let imageId = '';
    let image: ImageConfig = { ...hostPlatform(), rootfs: { type: 'layers', diff_ids: [] } };
    const earlier = this.results.find((r) => r.name && r.name === name.toLowerCase());
    if (earlier) {
      imageId = earlier.imageId;
    } else if (name !== 'scratch') {
      imageId = await this.imageFor(name);
    }
    if (imageId) image = this.engine.images.get(imageId).config;
    const config: ImageRuntimeConfig = structuredClone(image.config ?? {});
    if (!(config.Env ?? []).some((e) => e.startsWith('PATH='))) config.Env = [...(config.Env ?? []), `PATH=${DEFAULT_PATH}`];
    const triggers = config.OnBuild ?? [];
    // Triggers run in the stage that uses the image, never in the ones after it.
    delete config.OnBuild;
    const state: StageState = { name: stage.name, imageId, image, config, args, cmdSet: false };
    if (triggers.length) {
      this.out.stream(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
      for (const trigger of triggers) await this.dispatch(state, parseInstruction(trigger, stage.from.line));
    }
    return state;
  }

  /** An image by name: the local one, else (or with `pull`) pulled from its registry. */
  private async imageFor(name: string): Promise<string> {
    if (!this.options.pull) {
      try {
        return this.engine.images.resolveId(name);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    const reference = withDefaultTag(parseReference(name));
    const credentials = this.options.registryAuth[reference.domain]
      ?? (reference.domain === 'docker.io' ? this.options.registryAuth['https://index.docker.io/v1/'] : undefined) ?? {};
    const result = await pullImage(this.engine, { reference, credentials, progress: new ProgressReporter(this.out) });
    return result.imageId;
  }

  // ---- the instructions ----

  private async dispatch(state: StageState, ins: Instruction): Promise<void> {
    switch (ins.keyword) {
      case 'run': return this.run(state, ins);
      case 'copy': case 'add': return this.copy(state, ins);
      case 'arg': {
        const { name, value } = argDeclaration(ins);
        const expanded = value === undefined ? undefined : processWord(value, this.vars(state));
        state.args.declare(name, expanded);
        return this.commitConfig(state, state.config, `ARG ${name}${expanded === undefined ? '' : `=${expanded}`}`);
      }
      case 'shell':
        return this.commitConfig(state, { ...state.config, Shell: ins.json! }, `SHELL ${goList(ins.json!)}`);
      case 'maintainer':
        return this.commitConfig(state, state.config, `MAINTAINER ${ins.args}`, ins.args);
      case 'cmd': {
        const cmd = ins.json ?? [...this.shell(state), ins.args];
        state.cmdSet = true;
        return this.commitConfig(state, { ...state.config, Cmd: cmd }, `CMD ${goList(cmd)}`);
      }
      case 'entrypoint': {
        const entrypoint = ins.json ?? [...this.shell(state), ins.args];
        const config = { ...state.config, Entrypoint: entrypoint };
        if (!state.cmdSet) config.Cmd = null;
        return this.commitConfig(state, config, `ENTRYPOINT ${goList(entrypoint)}`);
      }
      case 'label':
        if (ins.labels) {
          return this.commitConfig(state, { ...state.config, Labels: { ...state.config.Labels, ...ins.labels } }, ins.original);
        }
        break;
      case 'onbuild':
        parseInstruction(ins.args, ins.line); // a trigger must be a valid instruction itself
        break;
      case 'workdir':
        return this.workdir(state, ins);
    }
    // ENV, LABEL, EXPOSE, USER, WORKDIR, VOLUME, STOPSIGNAL, ONBUILD, HEALTHCHECK: the same rules as
    // `docker commit --change`, with build arguments expanded too.
    const line = `${ins.keyword.toUpperCase()} ${ins.args}`;
    const config = applyChanges(state.config, [line], state.args.vars(state.config.Env ?? []));
    return this.commitConfig(state, config, historyComment(ins, config));
  }

  private shell(state: StageState): string[] {
    return state.config.Shell?.length ? state.config.Shell : DEFAULT_SHELL;
  }

  /** What instruction arguments expand against: build arguments, then the environment (which wins). */
  private vars(state: StageState): string[] {
    const env = state.config.Env ?? [];
    return [...state.args.vars(env), ...env];
  }

  /**
   * WORKDIR makes the directory (owned by root) when the image lacks it, as Docker's builder does, so
   * that a later `COPY --chown` into it does not decide its owner.
   */
  private async workdir(state: StageState, ins: Instruction): Promise<void> {
    const config = applyChanges(state.config, [`WORKDIR ${ins.args}`], state.args.vars(state.config.Env ?? []));
    const dir = config.WorkingDir ?? '/';
    const createdBy = `${this.shell(state).join(' ')} #(nop)  WORKDIR ${dir}`;
    const key = stepKey([state.imageId, createdBy, config]);
    if (this.fromCache(state, key)) return;
    const layer = await withSnapshot(this.engine, this.scratchDir(), state.imageId, async (s) => {
      if (!(await makeDirIn(s.root, dir, this.hostOwner({ uid: 0, gid: 0 })))) return undefined;
      return s.commit();
    });
    await this.commit(state, config, createdBy, key, layer);
  }

  private async run(state: StageState, ins: Instruction): Promise<void> {
    const cmd = ins.json ?? [...this.shell(state), ins.args];
    const env = state.config.Env ?? [];
    const argVars = state.args.vars(env);
    const historyVars = state.args.historyVars(env);
    const createdBy = (historyVars.length ? [`|${historyVars.length}`, ...historyVars, ...cmd] : cmd).join(' ');
    const key = stepKey([state.imageId, 'RUN', createdBy, state.config, argVars]);
    if (this.fromCache(state, key)) return;
    const layer = await runStep(this.engine, this.out, {
      imageId: state.imageId, cmd, config: state.config, argVars, networkMode: this.options.networkMode,
      extraHosts: this.options.extraHosts, remove: this.options.remove, forceRemove: this.options.forceRemove,
    });
    await this.commit(state, state.config, createdBy, key, layer);
  }

  private async copy(state: StageState, ins: Instruction): Promise<void> {
    const name = ins.keyword.toUpperCase();
    if (ins.flags.chmod !== undefined) throw new InvalidArgumentError(`the --chmod option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled`);
    const vars = this.vars(state);
    const words = (ins.json ?? splitWords(ins.args)).map((w) => (ins.json ? processWord(JSON.stringify(w).slice(1, -1), vars) : processWord(w, vars)));
    const sources = words.slice(0, -1);
    let dest = words[words.length - 1];
    if (!dest.startsWith('/')) {
      const joined = join('/', state.config.WorkingDir || '/', dest);
      dest = dest.endsWith('/') || dest === '.' ? `${joined.replace(/\/$/, '')}/` : joined;
    }
    const url = sources.find((s) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s));
    if (url) {
      throw new InvalidArgumentError(`${name} failed: ${name === 'ADD' ? 'downloading' : 'copying'} ${url}: remote sources are not supported (berthd builds have no network): download the file and COPY it from the build context`);
    }
    const fromImage = ins.flags.from !== undefined ? await this.copySourceImage(ins.flags.from) : undefined;
    const chown = ins.flags.chown ? processWord(ins.flags.chown, vars) : '';
    const work = async (srcRoot: string) => {
      const request: CopyRequest = {
        name, sources, dest, srcRoot, fromContext: fromImage === undefined,
        owner: this.hostOwner({ uid: 0, gid: 0 }), unpackArchives: name === 'ADD',
      };
      const selected = await selectSources(request);
      const digest = await sourcesDigest(selected);
      const createdBy = `${this.shell(state).join(' ')} #(nop) ${name} ${digest} in ${dest} `;
      const key = stepKey([state.imageId, name, digest, dest, chown, state.config, fromImage ?? '']);
      if (this.fromCache(state, key)) return;
      const snapshot = await Snapshot.mount(this.engine, this.scratchDir(), state.imageId);
      let layer: LayerInfo;
      try {
        if (chown) request.owner = this.hostOwner(await chownOwner(snapshot.root, chown, name));
        await copyInto(snapshot.root, request, selected);
        layer = await snapshot.commit();
      } finally {
        await snapshot.release();
      }
      await this.commit(state, state.config, createdBy, key, layer);
    };
    if (fromImage === undefined) return work(this.context.dir);
    return withSnapshot(this.engine, this.scratchDir(), fromImage, (s) => work(s.root));
  }

  /** COPY --from: an earlier stage by name or index, else an image (pulled when missing). */
  private async copySourceImage(from: string): Promise<string> {
    const byName = this.results.find((r) => r.name && r.name === from.toLowerCase());
    if (byName) return byName.imageId;
    if (/^\d+$/.test(from)) {
      const i = Number(from);
      if (i < this.results.length) return this.results[i].imageId;
      throw new InvalidArgumentError(`invalid from flag value ${from}: refers to current build stage`);
    }
    return this.imageFor(from);
  }

  /** An owner in the image as the host stores it (the remapped one under --userns-remap). */
  private hostOwner(owner: { uid: number; gid: number }): { uid: number; gid: number } {
    return this.engine.images.ownerShift?.toHost(owner.uid, owner.gid) ?? owner;
  }

  private scratchDir(): string {
    return join(this.context.scratch, `snapshot-${++this.snapshots}`);
  }

  // ---- images of steps ----

  /** A step that changes only the config: an image without a new layer (`#(nop)` in its history). */
  private async commitConfig(state: StageState, config: ImageRuntimeConfig, comment: string, author?: string): Promise<void> {
    const createdBy = `${this.shell({ ...state, config }).join(' ')} #(nop)  ${comment}`;
    const key = stepKey([state.imageId, createdBy, config, author ?? state.image.author ?? '']);
    if (this.fromCache(state, key)) return;
    await this.commit(state, config, createdBy, key, undefined, author);
  }

  /**
   * `--cache-from`: a cached step counts only when its image is one of these images or one they were
   * built on. A name that is not here is skipped, as dockerd skips it, so none here means no cache.
   */
  private cacheSources(): Set<string> | undefined {
    if (!this.options.cacheFrom || this.sources) return this.sources;
    const images = this.engine.images;
    const ids = new Set<string>();
    for (const ref of this.options.cacheFrom) {
      let id: string | undefined;
      try {
        id = images.resolveId(ref);
      } catch {
        continue; // not here (or not a name): no cache from it
      }
      for (; id && images.has(id) && !ids.has(id); id = images.get(id).parent || undefined) ids.add(id);
    }
    return (this.sources = ids);
  }

  private fromCache(state: StageState, key: string): boolean {
    if (this.options.noCache) return false;
    const hit = this.cache.lookup(this.engine.images, key);
    const sources = this.cacheSources();
    if (!hit || (sources && !sources.has(hit))) return false;
    this.out.stream(' ---> Using cache\n');
    state.imageId = hit;
    state.image = this.engine.images.get(hit).config;
    state.config = structuredClone(state.image.config ?? {});
    return true;
  }

  private async commit(state: StageState, config: ImageRuntimeConfig, createdBy: string, key: string, layer?: LayerInfo, author?: string): Promise<void> {
    const created = new Date().toISOString();
    const base = state.image;
    const image: ImageConfig = {
      ...hostPlatform(),
      ...(author ?? base.author ? { author: author ?? base.author } : {}),
      config,
      created,
      history: [...(base.history ?? []), { created, created_by: createdBy, ...(layer ? {} : { empty_layer: true }) }],
      rootfs: { type: 'layers', diff_ids: layer ? [...base.rootfs.diff_ids, layer.diffId] : [...base.rootfs.diff_ids] },
    };
    const record = await this.engine.images.addImage(image, state.imageId ? { parent: state.imageId } : {});
    // A --cache-from build keeps the steps the index already has, so those images still serve later builds.
    if (!this.options.cacheFrom || !this.cache.lookup(this.engine.images, key)) await this.cache.record(key, record.id);
    state.imageId = record.id;
    state.image = image;
    state.config = config;
  }
}

/** `ARG name` or `ARG name=default` (the default unexpanded). */
function argDeclaration(ins: Instruction): { name: string; value: string | undefined } {
  const word = splitWords(ins.args)[0];
  const eq = word.indexOf('=');
  if (eq === 0) throw new InvalidArgumentError(`dockerfile parse error on line ${ins.line}: ARG names can not be blank`);
  return eq < 0 ? { name: word, value: undefined } : { name: word.slice(0, eq), value: word.slice(eq + 1) };
}

/** The `#(nop)` comment of a config step, with the values the step resolved. */
function historyComment(ins: Instruction, config: ImageRuntimeConfig): string {
  switch (ins.keyword) {
    case 'user': return `USER ${config.User}`;
    default: return `${ins.keyword.toUpperCase()} ${ins.args}`;
  }
}

/** Go's %q of a string slice: `["sh" "-c"]`, as Docker's history shows CMD and ENTRYPOINT. */
function goList(list: string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;
}

/**
 * `--chown=user[:group]` against the new layer's /etc/passwd and /etc/group. A user alone gives a group
 * of the same name (or, numeric, the same number), falling back to the user's primary group.
 */
async function chownOwner(root: string, spec: string, name: string): Promise<{ uid: number; gid: number }> {
  const [user, group] = spec.split(':', 2);
  try {
    if (group !== undefined) {
      const u = await resolveUser(root, `${user}:${group}`);
      return { uid: u.uid, gid: u.gid };
    }
    const u = await resolveUser(root, user);
    if (/^\d+$/.test(user)) return { uid: u.uid, gid: u.uid };
    // A group named as the user is optional: without one, the user's primary group stands.
    const sameName = await resolveUser(root, `${user}:${user}`).catch((err) => { if (err instanceof InvalidArgumentError) return undefined; throw err; });
    return { uid: u.uid, gid: sameName?.gid ?? u.gid };
  } catch (err) {
    throw new InvalidArgumentError(`${name} failed: unable to convert uid/gid chown string to host mapping: ${(err as Error).message}`);
  }
}
