// What POST /build streams: one JSON message per line, as Docker's classic builder writes them:
//   {"stream":"Step 1/5 : FROM busybox"} {"stream":"\n"} {"stream":" ---> 6eef44be6cae\n"}
//   {"aux":{"ID":"sha256:..."}}  {"errorDetail":{"code":1,"message":"..."},"error":"..."}
// Pull progress of a FROM goes into the same stream. With `q`, messages are held back: a success
// answers only the image ID, a failure sends what was held and then the error.
import type { ServerResponse } from 'node:http';
import type { JsonMessage, ProgressOutput } from '../progress/json-progress.js';

export class BuildOutput implements ProgressOutput {
  private begun = false;
  private readonly held: string[] = [];

  constructor(private readonly res: ServerResponse, private readonly quiet: boolean) {}

  /** Whether the 200 went out: after that, errors can only be messages in the stream. */
  get started(): boolean {
    return this.begun;
  }

  /** Whether the client went away (the build then stops at the next step). */
  get closed(): boolean {
    return this.res.destroyed;
  }

  write(message: JsonMessage): void {
    const line = goJson(message) + '\r\n';
    if (this.quiet) this.held.push(line);
    else this.send(line);
  }

  stream(text: string): void {
    this.write({ stream: text } as JsonMessage);
  }

  aux(imageId: string): void {
    this.write({ aux: { ID: imageId } });
  }

  /** The final answer of a quiet build: the image ID alone. */
  quietResult(imageId: string): void {
    if (this.quiet) this.send(goJson({ stream: `${imageId}\n` } as JsonMessage) + '\r\n');
  }

  error(message: string, code?: number): void {
    for (const line of this.held.splice(0)) this.send(line);
    const detail = code === undefined ? { message } : { code, message };
    this.send(goJson({ errorDetail: detail, error: message } as JsonMessage) + '\r\n');
  }

  end(): void {
    if (!this.begun) {
      this.begun = true;
      this.res.writeHead(200, { 'Content-Type': 'application/json' });
    }
    this.res.end();
  }

  private send(line: string): void {
    if (!this.begun) {
      this.begun = true;
      this.res.writeHead(200, { 'Content-Type': 'application/json' });
    }
    if (!this.res.destroyed) this.res.write(line);
  }
}

/** JSON as Go's encoder writes it (`<`, `>` and `&` escaped), so the bytes match dockerd's. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}
