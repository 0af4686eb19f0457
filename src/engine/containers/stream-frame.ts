/** Docker's stream framing without a TTY: [stream, 0, 0, 0, size (uint32 BE)] then the bytes. */
export function frame(stream: 'stdout' | 'stderr', data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream === 'stdout' ? 1 : 2;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}
