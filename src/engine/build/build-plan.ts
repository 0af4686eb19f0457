// What a build is asked for (the query of POST /build) and the plan made from it before any output.
import { InvalidArgumentError } from '../../lib/errors.js';
import type { ImageReference } from '../../lib/image-reference.js';
import type { AuthConfig } from '../distribution/credentials.js';
import type { BuildContext } from './build-context.js';
import { parseDockerfile, type Dockerfile, type Stage } from './dockerfile-parser.js';

export interface BuildOptions {
  dockerfile: string;
  tags: ImageReference[];
  quiet: boolean;
  noCache: boolean;
  /** `--cache-from`: only these images (and those they were built on) serve the cache; absent: the local cache. */
  cacheFrom?: string[];
  remove: boolean;
  forceRemove: boolean;
  pull: boolean;
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  target: string;
  networkMode: string;
  extraHosts: string[];
  /** X-Registry-Config: credentials by registry, for the pulls of FROM and COPY --from. */
  registryAuth: Record<string, AuthConfig>;
}

/**
 * Parses the Dockerfile and plans the build. Everything wrong with the request itself (syntax, an
 * unknown target) is thrown from here, before any output, so the API answers with an error status.
 */
export function planBuild(context: BuildContext, options: BuildOptions): { file: Dockerfile; stages: Stage[] } {
  const file = parseDockerfile(context.dockerfile, context.dockerfileName);
  let stages = file.stages;
  if (options.target) {
    const i = stages.findIndex((s) => s.name === options.target.toLowerCase());
    if (i < 0) throw new InvalidArgumentError(`failed to reach build target ${options.target} in Dockerfile`);
    stages = stages.slice(0, i + 1);
  }
  const names = new Set<string>();
  for (const s of stages) {
    if (s.name && names.has(s.name)) throw new InvalidArgumentError(`duplicate name ${s.name}`);
    if (s.name) names.add(s.name);
  }
  const labels = Object.keys(options.labels).sort();
  if (labels.length && stages.length) {
    const last = stages[stages.length - 1];
    const text = `LABEL ${labels.map((k) => `${k}=${options.labels[k]}`).join(' ')}`;
    last.instructions.push({ keyword: 'label', args: '', flags: {}, original: text, line: 0, labels: { ...options.labels } });
  }
  return { file, stages };
}
