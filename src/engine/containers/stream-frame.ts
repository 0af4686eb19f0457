/** Docker's stream framing without a TTY: [stream, 0, 0, 0, size (uint32 BE)] then the bytes. */
export function frame(stream: 'stdout' | 'stderr', data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  writeFrameHeader(header, 0, stream, data.length);
  return Buffer.concat([header, data]);
}

/** Writes the 8-byte frame header for `length` bytes of `stream` at `at` of `buf` (batches framed in place). */
export function writeFrameHeader(buf: Buffer, at: number, stream: 'stdout' | 'stderr', length: number): void {
  buf[at] = stream === 'stdout' ? 1 : 2;
  buf[at + 1] = 0;
  buf[at + 2] = 0;
  buf[at + 3] = 0;
  buf.writeUInt32BE(length, at + 4);
}
