// Writes a bundle: each data file streamed as NDJSON into the zip while its size, record
// count and SHA-256 are taken, then manifest.jws (which names them) signed and appended last.
import { createHash, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipArchive } from 'archiver';
import type { Archiver } from 'archiver';
import type { JWK } from 'jose';
import { publicJwkOf } from './keys.ts';
import { entryNameProblem, MANIFEST_NAME } from './limits.ts';
import { encodeLine, MAX_LINE_BYTES } from './ndjson.ts';
import {
  BUNDLE_FORMAT,
  describeIssue,
  FILES_BY_KIND,
  isFileName,
  manifestSchema,
  RECORD_SCHEMAS,
} from './records.ts';
import type { FileEntry, FileName, Kind, ManifestOf } from './records.ts';
import { signManifest } from './signature.ts';

type Input<M> = M extends { publicKey: unknown }
  ? Omit<M, 'files' | 'format' | 'publicKey'> & { publicKey: JWK }
  : Omit<M, 'files' | 'format' | 'more'>;

/** The manifest as the caller gives it: the writer adds `format`, `files` and `more`. */
export type ManifestInput<K extends Kind = Kind> = K extends Kind ? Input<ManifestOf<K>> : never;

export type BundleFileInput =
  | { name: FileName; records: Iterable<object> | AsyncIterable<object> }
  /** Records in arrays: one await per array rather than per record, for files of millions. */
  | { name: FileName; chunks: AsyncIterable<readonly object[]> };

export interface WriteBundleOptions<K extends Kind = Kind> {
  /** A file path (written beside it, then renamed into place) or a stream, which is ended. */
  out: string | NodeJS.WritableStream;
  privateKey: KeyObject | CryptoKey;
  publicJwk: JWK;
  manifest: ManifestInput<K> & { kind: K };
  files: BundleFileInput[];
  /** Cap on the data files' uncompressed bytes; only a satellite report may be cut short. */
  maxBytes?: number;
}

const CHUNK_BYTES = 64 * 1024;

/**
 * Writes a signed bundle. Records are pulled one at a time, so any number of them fits in
 * constant memory. With `maxBytes`, a file stops at its first record that would pass the cap
 * (its iterator is closed); later files still take the records that fit; `more` is then true.
 */
export async function writeBundle<K extends Kind>(
  opts: WriteBundleOptions<K>,
): Promise<{ manifest: ManifestOf<K>; more: boolean }> {
  checkOptions(opts);
  const { out, manifest: input, files } = opts;
  const tmp = typeof out === 'string' ? `${out}.${randomBytes(6).toString('hex')}.partial` : null;
  const target = tmp ? createWriteStream(tmp, { flags: 'wx' }) : (out as NodeJS.WritableStream);
  const archive = new ZipArchive({ zlib: { level: 6 } });
  const done = pipeline(archive, target);
  done.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
  const date = new Date(input.createdAt);
  const budget = { left: opts.maxBytes ?? Infinity };
  let source: Readable | undefined;
  try {
    const entries: FileEntry[] = [];
    let more = false;
    for (const file of files) {
      const stats = { sha256: '', bytes: 0, records: 0, cut: false };
      // Room for a few chunks ahead, so records are encoded while zlib compresses the ones before.
      source = Readable.from(encodeFile(file, budget, stats), { objectMode: false, highWaterMark: 1024 * 1024 });
      await appendEntry(archive, source, file.name, date, done);
      entries.push({ name: file.name, sha256: stats.sha256, bytes: stats.bytes, records: stats.records });
      more ||= stats.cut;
    }
    const parsed = manifestSchema.safeParse({
      ...input,
      format: BUNDLE_FORMAT,
      files: entries,
      ...(more ? { more: true } : {}),
    });
    if (!parsed.success) throw new TypeError(`the manifest is not valid: ${describeIssue(parsed.error)}`);
    const jws = await signManifest(parsed.data, opts.privateKey, opts.publicJwk);
    await appendEntry(archive, Buffer.from(jws), MANIFEST_NAME, date, done);
    await archive.finalize();
    await done;
    if (tmp) await rename(tmp, out as string);
    return { manifest: parsed.data as ManifestOf<K>, more };
  } catch (err) {
    archive.abort();
    source?.destroy(); // closes the caller's record iterator too
    if (tmp) {
      (target as NodeJS.WritableStream & { destroy(): void }).destroy();
      await rm(tmp, { force: true });
    }
    throw err;
  }
}

/**
 * Serializes one file's records in ~64 KiB chunks, hashing and counting what goes out. Exactly
 * the records written are read, plus the one that did not fit (with `chunks`, the rest of its
 * array): the first `records` of the caller's sequence are in the bundle. A sync iterable, or
 * arrays of records, are read without a promise per record.
 */
async function* encodeFile(
  file: BundleFileInput,
  budget: { left: number },
  stats: { sha256: string; bytes: number; records: number; cut: boolean },
): AsyncGenerator<Buffer> {
  const schema = RECORD_SCHEMAS[file.name];
  const hash = createHash('sha256');
  let batch: string[] = [];
  let batchBytes = 0;
  const flush = (): Buffer => {
    const buf = Buffer.from(batch.join(''), 'utf8');
    batch = [];
    batchBytes = 0;
    hash.update(buf);
    return buf;
  };
  /** Adds one record to the batch; false when it would pass the cap. */
  const add = (record: object): boolean => {
    const parsed = schema.safeParse(record);
    if (!parsed.success) {
      throw new TypeError(`${file.name} record ${stats.records + 1} is not valid: ${describeIssue(parsed.error)}`);
    }
    const line = encodeLine(parsed.data);
    const n = Buffer.byteLength(line);
    if (n > MAX_LINE_BYTES) throw new TypeError(`${file.name} record ${stats.records + 1} is over ${MAX_LINE_BYTES} bytes`);
    if (n > budget.left) {
      stats.cut = true;
      return false;
    }
    budget.left -= n;
    stats.bytes += n;
    stats.records += 1;
    batch.push(line);
    batchBytes += n;
    return true;
  };
  // Leaving a loop early closes the caller's iterator: what is left goes in the next bundle.
  if ('chunks' in file) {
    chunks: for await (const chunk of file.chunks) {
      for (const record of chunk) if (!add(record)) break chunks;
      if (batchBytes >= CHUNK_BYTES) yield flush();
    }
  } else if (Symbol.iterator in file.records) {
    for (const record of file.records) {
      if (!add(record)) break;
      if (batchBytes >= CHUNK_BYTES) yield flush();
    }
  } else {
    for await (const record of file.records) {
      if (!add(record)) break;
      if (batchBytes >= CHUNK_BYTES) yield flush();
    }
  }
  if (batchBytes > 0) yield flush();
  stats.sha256 = hash.digest('hex');
}

/**
 * Appends one entry and waits until archiver has taken all of it, so entries are produced
 * one after another (the byte cap depends on the files before). archiver does not pass on a
 * source stream's error, so it is watched here, as is the output failing.
 */
function appendEntry(archive: Archiver, source: Readable | Buffer, name: string, date: Date, done: Promise<void>): Promise<void> {
  const appended = new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      archive.off('entry', onEntry);
      archive.off('error', onError);
      if (source instanceof Readable) source.off('error', onError);
    };
    const onEntry = (data: { name: string }): void => {
      if (data.name !== name) return;
      cleanup();
      resolve();
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    archive.on('entry', onEntry);
    archive.on('error', onError);
    if (source instanceof Readable) source.on('error', onError);
    archive.append(source, { name, date });
  });
  const outputClosed = done.then(() => {
    throw new Error('the bundle output closed before the archive was complete');
  });
  return Promise.race([appended, outputClosed]);
}

function checkOptions<K extends Kind>(opts: WriteBundleOptions<K>): void {
  const { kind } = opts.manifest;
  const allowed = FILES_BY_KIND[kind];
  if (!allowed) throw new TypeError(`unknown bundle kind ${String(kind)}`);
  const seen = new Set<string>();
  for (const file of opts.files) {
    const { name } = file;
    if (('chunks' in file) === ('records' in file)) throw new TypeError(`bundle file ${name} needs records or chunks, not both`);
    const problem = entryNameProblem(name);
    if (problem) throw new TypeError(`bundle file name ${JSON.stringify(name)} ${problem}`);
    if (!isFileName(name) || ![...allowed.required, ...allowed.optional].includes(name)) {
      throw new TypeError(`a ${kind} bundle does not carry ${name}`);
    }
    if (seen.has(name)) throw new TypeError(`bundle file ${name} is given twice`);
    seen.add(name);
  }
  for (const name of allowed.required) {
    if (!seen.has(name)) throw new TypeError(`a ${kind} bundle must carry ${name}`);
  }
  if (opts.maxBytes !== undefined) {
    if (!(opts.maxBytes >= 0)) throw new TypeError('maxBytes must be a number of bytes, 0 or more');
    // A cloud snapshot cut short would read as lines gone; only reports continue next time.
    if (kind !== 'satellite-report') throw new TypeError(`a ${kind} bundle cannot be cut short by maxBytes`);
  }
  // Checked before any record is read, so a bad manifest does not cost a whole export.
  const early = manifestSchema.safeParse({ ...opts.manifest, format: BUNDLE_FORMAT, files: [] });
  if (!early.success) throw new TypeError(`the manifest is not valid: ${describeIssue(early.error)}`);
  if (publicJwkOf(opts.privateKey).x !== opts.publicJwk.x) {
    throw new TypeError('publicJwk is not the public half of privateKey');
  }
}
