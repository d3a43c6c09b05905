// Writes tar archives byte by byte (ustar headers), so tests can craft entries no well-behaved tar tool would
// write: paths with '..', absolute paths, links pointing outside, device files.
import { gzipSync } from 'node:zlib';

export type TarType = 'file' | 'hardlink' | 'symlink' | 'chardev' | 'dir' | 'fifo';

export interface TarEntry {
  path: string;
  type?: TarType;
  body?: string | Buffer;
  linkpath?: string;
  mode?: number;
}

const TYPE_FLAGS: Record<TarType, string> = { file: '0', hardlink: '1', symlink: '2', chardev: '3', dir: '5', fifo: '6' };

function field(header: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new Error(`tar fixture: '${value}' does not fit ${length} bytes`);
  bytes.copy(header, offset);
}

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, '0')}\0`;
}

function header(entry: TarEntry, size: number): Buffer {
  const type = entry.type ?? 'file';
  const h = Buffer.alloc(512);
  field(h, 0, 100, entry.path);
  field(h, 100, 8, octal(entry.mode ?? (type === 'dir' ? 0o755 : 0o644), 8));
  field(h, 108, 8, octal(0, 8));
  field(h, 116, 8, octal(0, 8));
  field(h, 124, 12, octal(size, 12));
  field(h, 136, 12, octal(Math.floor(Date.UTC(2024, 0, 1) / 1000), 12));
  field(h, 148, 8, '        '); // checksum placeholder: spaces
  field(h, 156, 1, TYPE_FLAGS[type]);
  field(h, 157, 100, entry.linkpath ?? '');
  field(h, 257, 6, 'ustar\0');
  field(h, 263, 2, '00');
  let sum = 0;
  for (const byte of h) sum += byte;
  field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** A tar archive of `entries` (files carry their body), ended by two zero blocks. */
export function tarArchive(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = (entry.type ?? 'file') === 'file' ? Buffer.from(entry.body ?? '') : Buffer.alloc(0);
    blocks.push(header(entry, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export function tarGz(entries: TarEntry[]): Buffer {
  return gzipSync(tarArchive(entries));
}
