// RUN: the command runs in a container of the engine made from the current image (its output streamed
// into the build's output, stderr in red as dockerd marks it), and the container's layer becomes the
// next image's layer. The container is removed after a success (`--rm`, the default) and kept after a
// failure unless `--force-rm`, as Docker's classic builder does.
import type { BuildServices } from './build-service.js';
import { InvalidArgumentError, errorMessage } from '../../lib/errors.js';
import type { ImageRuntimeConfig } from '../images/image-config.js';
import type { LayerInfo } from '../images/layer-store.js';
import { shortId } from '../images/image-store.js';
import { commitLayer } from '../containers/commit.js';
import { readK8sLog } from '../runtime/k8s-log.js';
import type { BuildOutput } from './build-output.js';

export interface RunStepOptions {
  imageId: string;
  cmd: string[];
  config: ImageRuntimeConfig;
  /** Build arguments for the environment (`KEY=value`). */
  argVars: string[];
  networkMode: string;
  extraHosts: string[];
  remove: boolean;
  forceRemove: boolean;
}

/** A RUN whose command failed: the message Docker prints, with the exit code for errorDetail. */
export class RunStepError extends InvalidArgumentError {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

export async function runStep(engine: BuildServices, out: BuildOutput, o: RunStepOptions): Promise<LayerInfo> {
  if (!o.imageId) throw new InvalidArgumentError('RUN needs a shell, and the image is empty (FROM scratch with nothing copied yet)');
  const c = o.config;
  const { Id: id } = await engine.containers.create(undefined, {
    Image: o.imageId, Cmd: o.cmd, Entrypoint: [''], Env: [...(c.Env ?? []), ...o.argVars],
    WorkingDir: c.WorkingDir ?? '', User: c.User ?? '', Tty: false, AttachStdout: true, AttachStderr: true,
    HostConfig: { NetworkMode: o.networkMode || 'default', ExtraHosts: o.extraHosts },
  });
  out.stream(` ---> Running in ${id.slice(0, 12)}\n`);
  let ok = false;
  try {
    const container = engine.containers.get(id);
    await engine.containers.start(id);
    const exited = container.whenNotRunning();
    for await (const entry of readK8sLog(container.record.logPath, { follow: true, exited })) {
      const text = entry.data.toString('utf8');
      out.stream(entry.stream === 'stderr' ? `\u001b[91m${text}\u001b[0m` : text);
    }
    await exited;
    const code = container.state.exitCode;
    if (code !== 0) throw new RunStepError(`The command '${o.cmd.join(' ')}' returned a non-zero code: ${code}`, code);
    const layer = await commitLayer(engine, container);
    ok = true;
    return layer;
  } finally {
    if (ok ? o.remove || o.forceRemove : o.forceRemove) {
      await engine.containers.remove(id, { force: true, removeVolumes: true })
        .catch((err) => engine.log.warn(`build: removing container ${id}: ${errorMessage(err)}`));
      out.stream(`Removing intermediate container ${shortId(`sha256:${id}`)}\n`);
    }
  }
}
