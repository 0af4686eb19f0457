// Reads a stream in batches: `each` sees every chunk as it arrives, `batch` gets about `size` bytes at a
// time and the stream is paused while a batch is written (backpressure without an async iterator per
// chunk). Rejects if the stream errors or closes before its end.
import { SerialQueue } from './serial-queue.js';

export function consume(stream: NodeJS.ReadableStream, size: number, batch: (data: Buffer) => Promise<void>,
  each?: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let bytes = 0;
    let failed = false;
    const writes = new SerialQueue();
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      cleanup();
      stream.resume(); // let the rest drain or the socket close
      reject(err);
    };
    const take = () => {
      const data = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, bytes);
      chunks = [];
      bytes = 0;
      return data;
    };
    const onData = (chunk: Buffer) => {
      if (failed) return;
      try { each?.(chunk); } catch (err) { fail(err); return; }
      chunks.push(chunk);
      bytes += chunk.length;
      if (bytes >= size) {
        const data = take();
        stream.pause();
        writes.run(() => batch(data)).then(() => { if (!failed) stream.resume(); }, fail);
      }
    };
    const onEnd = () => {
      cleanup();
      const data = bytes > 0 ? take() : undefined;
      writes.run(() => (data && !failed ? batch(data) : undefined)).then(() => { if (!failed) resolve(); }, fail);
    };
    const onClose = () => fail(new Error('stream closed before its end'));
    const cleanup = () => {
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', fail);
      stream.removeListener('close', onClose);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', fail);
    stream.on('close', onClose);
  });
}
