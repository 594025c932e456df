// `?q=`'s text column (domain/devices/device-search.ts) on disk.
//
// While the daemon runs, the column's text (~50 bytes a device) is in a file of its own in the
// data dir, opened and at once unlinked (`scratchText`): it takes no memory of the process, a
// search reads a block of it at a time (from the page cache, as a rule), and a crash leaves
// nothing behind. The signatures, ids and offsets stay in memory.
//
// <dataDir>/device-search.bin (mode 0600) is the column saved at a graceful shutdown, so the next
// start does not walk every device record to make it again. Like the pool sums it is tagged with
// the satellite and every sequence of the store (the pools' `cover`): it is taken back only when
// the store is exactly as it was saved. Taking it opens and unlinks it, and the column keeps its
// text where it is in that file (`takeDeviceSearch`): after a crash there is no saved column.
//
// Layout: "ODSEARCF", a u32 (little-endian) length L, L bytes of JSON {format, satelliteId,
// sequences} padded with spaces to a multiple of 4, then the column's own bytes (`save`: a
// header, its arrays, ids and text, a SHA-256 of them). The padding keeps the arrays 4-byte aligned.
import { closeSync, fstatSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { writeFileSynced } from './synced-file.ts';
import { sameCover, type Cover } from '../domain/licenses/workspace/pool-counts.ts';
import type { SavedColumn, TextBytes } from '../domain/devices/device-search.ts';

export const DEVICE_SEARCH_FILE = 'device-search.bin';
const MAGIC = Buffer.from('ODSEARCF', 'latin1');
const FORMAT = 'outpost.device-search/2';

const coverSchema = z.strictObject({ format: z.literal(FORMAT), satelliteId: z.string(), sequences: z.record(z.string(), z.number()) });

function readFully(fd: number, out: Uint8Array, len: number, pos: number): void {
  for (let done = 0; done < len; ) {
    const n = readSync(fd, out, done, len - done, pos + done);
    if (n === 0) throw new Error(`device search file: ${len - done} bytes missing at ${pos + done}`);
    done += n;
  }
}

/** A column's text in an open file, from byte `base` on (synchronous reads and writes: small, page-cached). */
export class FileText implements TextBytes {
  #fd: number | null;
  readonly #base: number;
  constructor(fd: number, base: number) {
    this.#fd = fd;
    this.#base = base;
  }
  #open(): number {
    if (this.#fd === null) throw new Error('device search text: closed');
    return this.#fd;
  }
  read(pos: number, len: number, out: Uint8Array): void {
    readFully(this.#open(), out, len, this.#base + pos);
  }
  write(pos: number, src: Uint8Array, len: number): void {
    const fd = this.#open();
    for (let done = 0; done < len; ) done += writeSync(fd, src, done, len - done, this.#base + pos + done);
  }
  get memoryBytes(): number {
    return 0;
  }
  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }
}

/** A new, empty column text in `dir`: a file opened (mode 0600) and unlinked at once. */
export function scratchText(dir: string): FileText {
  const file = path.join(dir, `.device-search-${process.pid}-${randomBytes(6).toString('hex')}`);
  const fd = openSync(file, 'wx+', 0o600);
  unlinkSync(file);
  return new FileText(fd, 0);
}

/**
 * The saved column, when the file covers exactly this store (`cover`, read at start before
 * anything was written): opened, its tag checked, and unlinked (also when stale). The column
 * reads its arrays from it and keeps its text where it is (`textAt`); `close` lets it go when
 * the column does not load. 'missing' or 'stale' otherwise.
 */
export async function takeDeviceSearch(file: string, cover: Cover): Promise<SavedColumn | 'missing' | 'stale'> {
  let fd: number;
  try {
    fd = openSync(file, 'r+');
  } catch {
    return 'missing';
  }
  let keep = false;
  try {
    unlinkSync(file);
    const close = () => closeSync(fd);
    const size = fstatSync(fd).size;
    if (size < 12) return 'stale';
    const head = Buffer.alloc(12);
    readFully(fd, head, 12, 0);
    if (!head.subarray(0, 8).equals(MAGIC)) return 'stale';
    const len = head.readUInt32LE(8);
    if (len % 4 !== 0 || 12 + len > size) return 'stale';
    const json = Buffer.alloc(len);
    readFully(fd, json, len, 12);
    let saved: z.infer<typeof coverSchema>;
    try {
      saved = coverSchema.parse(JSON.parse(json.toString('utf8')));
    } catch {
      return 'stale';
    }
    if (!sameCover(saved, cover)) return 'stale';
    const at = 12 + len;
    keep = true;
    return {
      source: {
        size: size - at,
        read(pos, n, into) {
          const out = into ?? Buffer.allocUnsafeSlow(n); // its own memory: 4-byte aligned for the arrays' views
          readFully(fd, out, n, at + pos);
          return out;
        },
      },
      textAt: (pos) => new FileText(fd, at + pos),
      close,
    };
  } finally {
    if (!keep) closeSync(fd);
  }
}

/** Saves the column (its pieces, `save`; null: not ready, nothing saved), synced, tagged with `cover` (read after the writer's last batch). */
export async function saveDeviceSearch(file: string, cover: Cover, column: Iterable<Uint8Array> | null): Promise<boolean> {
  if (column === null) return false;
  let json = JSON.stringify({ format: FORMAT, satelliteId: cover.satelliteId, sequences: cover.sequences });
  json += ' '.repeat((4 - (Buffer.byteLength(json) % 4)) % 4);
  const head = Buffer.alloc(12);
  MAGIC.copy(head, 0);
  head.writeUInt32LE(Buffer.byteLength(json), 8);
  await writeFileSynced(
    file,
    (function* () {
      yield head;
      yield Buffer.from(json, 'utf8');
      yield* column;
    })(),
  );
  return true;
}
