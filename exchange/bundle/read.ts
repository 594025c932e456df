// Opens and verifies a bundle before anyone acts on it (SPEC §5): the zip's structure from its
// central directory, then manifest.jws (signature, schema, the kind's files), then every data
// file streamed once through size, SHA-256 and record checks. Only then is it handed out.
import { createHash } from 'node:crypto';
import type { File as ZipEntry } from 'unzipper';
import { BundleError } from './errors.ts';
import type { Jwks } from './keys.ts';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES, entryNameProblem, MANIFEST_NAME, MAX_MANIFEST_BYTES } from './limits.ts';
import { LineSplitter } from './ndjson.ts';
import { describeIssue, FILES_BY_KIND, isFileName, manifestSchema, RECORD_SCHEMAS } from './records.ts';
import type { FileEntry, FileName, Manifest, RecordOf } from './records.ts';
import { verifyManifest } from './signature.ts';
import type { KeyResolver } from './signature.ts';
import { openZipSource } from './zip-source.ts';

export interface OpenBundleOptions {
  /** The keys a bundle may be signed by, or a resolver choosing them from the unverified manifest. */
  trustedKeys: Jwks | KeyResolver;
  /** Uncompressed bytes the whole bundle may hold, counted as declared and as inflated. */
  maxBytes?: number;
  maxEntries?: number;
}

export interface VerifiedBundle<M extends Manifest = Manifest> {
  readonly path: string;
  readonly manifest: M;
  /**
   * Streams a file's records again, checking them as they pass; a file the manifest does not
   * name yields nothing. If the file changed on disk since it was verified, the iteration
   * throws at its end, so apply what it yields only once it has finished.
   */
  records<N extends FileName>(name: N): AsyncIterable<RecordOf<N>>;
  readAll<N extends FileName>(name: N): Promise<RecordOf<N>[]>;
}

const CENTRAL_DIRECTORY_SIGNATURE = 0x02014b50;

/** Opens `path` and checks everything §5 asks of a bundle; throws a BundleError otherwise. */
export async function openBundle(path: string, opts: OpenBundleOptions): Promise<VerifiedBundle> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const zip = openZipSource(path);
  try {
    const entries = await readDirectory(zip.directory, maxEntries, maxBytes);
    const budget = { used: 0, max: maxBytes };
    const manifestEntry = entries.get(MANIFEST_NAME);
    if (!manifestEntry) throw new BundleError('BUNDLE_ENTRY_INVALID', 'The bundle has no manifest.jws entry.');
    const jws = await readManifestEntry(manifestEntry, budget);
    const manifest = checkManifest(await verifyManifest(jws, opts.trustedKeys));
    checkFiles(manifest, entries, maxBytes);
    for (const file of manifest.files) {
      // verification only: the records are dropped, the caller decides whether to collect
      for await (const _ of fileRecords(entries.get(file.name)!, file, budget));
    }
    return verifiedBundle(path, manifest, maxBytes);
  } finally {
    zip.close();
  }
}

function verifiedBundle(path: string, manifest: Manifest, maxBytes: number): VerifiedBundle {
  async function* records<N extends FileName>(name: N): AsyncGenerator<RecordOf<N>> {
    const file = manifest.files.find((f) => f.name === name);
    if (!file) return;
    const zip = openZipSource(path);
    try {
      const entry = (await zip.directory()).files.find((f) => f.path === name);
      if (!entry) throw new BundleError('BUNDLE_ENTRY_INVALID', `${name} is no longer in the bundle file.`);
      for await (const batch of fileRecords(entry, file, { used: 0, max: maxBytes })) {
        yield* batch as RecordOf<N>[];
      }
    } catch (err) {
      if (err instanceof BundleError) throw err;
      throw new BundleError('BUNDLE_NOT_ZIP', `The bundle file can no longer be read as a zip.`, { cause: err });
    } finally {
      zip.close();
    }
  }
  return {
    path,
    manifest,
    records,
    async readAll<N extends FileName>(name: N) {
      const all: RecordOf<N>[] = [];
      for await (const record of records(name)) all.push(record);
      return all;
    },
  };
}

/** The central directory's entries by name, after every structural check that needs no key. */
async function readDirectory(
  directory: () => ReturnType<ReturnType<typeof openZipSource>['directory']>,
  maxEntries: number,
  maxBytes: number,
): Promise<Map<string, ZipEntry>> {
  let files: ZipEntry[];
  try {
    files = (await directory()).files;
  } catch (err) {
    throw new BundleError('BUNDLE_NOT_ZIP', 'The bundle is not a zip file, or is a truncated one (no readable central directory).', {
      cause: err,
    });
  }
  if (files.length > maxEntries) {
    throw new BundleError('BUNDLE_ENTRY_INVALID', `The bundle has ${files.length} entries, more than the ${maxEntries} allowed.`);
  }
  const byName = new Map<string, ZipEntry>();
  let declared = 0;
  for (const f of files) {
    if (f.signature !== CENTRAL_DIRECTORY_SIGNATURE) {
      throw new BundleError('BUNDLE_NOT_ZIP', 'The bundle is not a zip file, or is a truncated one (a damaged central directory).');
    }
    const name = f.path;
    const shown = JSON.stringify(name);
    if (f.type === 'Directory' || /[/\\]$/.test(name)) {
      throw new BundleError('BUNDLE_ENTRY_INVALID', `The bundle holds a folder entry ${shown}; bundles hold no folders.`);
    }
    const problem = entryNameProblem(name);
    if (problem) throw new BundleError('BUNDLE_ENTRY_INVALID', `The entry name ${shown} ${problem}.`);
    if (byName.has(name)) throw new BundleError('BUNDLE_ENTRY_INVALID', `The entry ${shown} appears more than once.`);
    if (f.flags & 0x1) throw new BundleError('BUNDLE_ENTRY_INVALID', `The entry ${shown} is encrypted.`);
    if (f.compressionMethod !== 0 && f.compressionMethod !== 8) {
      throw new BundleError('BUNDLE_ENTRY_INVALID', `The entry ${shown} uses compression method ${f.compressionMethod}, not stored or deflate.`);
    }
    declared += f.uncompressedSize;
    byName.set(name, f);
  }
  if (declared > maxBytes) {
    throw new BundleError('BUNDLE_TOO_LARGE', `The bundle declares ${declared} uncompressed bytes, over the limit of ${maxBytes}.`);
  }
  return byName;
}

async function readManifestEntry(entry: ZipEntry, budget: { used: number; max: number }): Promise<string> {
  if (entry.uncompressedSize > MAX_MANIFEST_BYTES) {
    throw new BundleError('BUNDLE_TOO_LARGE', `manifest.jws declares ${entry.uncompressedSize} bytes, over its limit of ${MAX_MANIFEST_BYTES}.`);
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of inflate(entry)) {
    bytes += chunk.length;
    budget.used += chunk.length;
    // A zip bomb lies in its headers: only the inflated count can be trusted.
    if (bytes > MAX_MANIFEST_BYTES || budget.used > budget.max) {
      throw new BundleError('BUNDLE_TOO_LARGE', `manifest.jws inflates to more than ${Math.min(MAX_MANIFEST_BYTES, budget.max)} bytes.`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function checkManifest(payload: unknown): Manifest {
  const parsed = manifestSchema.safeParse(payload);
  if (!parsed.success) {
    throw new BundleError('BUNDLE_RECORD_INVALID', `The manifest is not a valid outpost.bundle/1 manifest (${describeIssue(parsed.error)}).`);
  }
  return parsed.data;
}

/** The manifest's files against the kind's table and against the zip's entries, both ways. */
function checkFiles(manifest: Manifest, entries: Map<string, ZipEntry>, maxBytes: number): void {
  const { required, optional } = FILES_BY_KIND[manifest.kind];
  const named = new Set<string>();
  let declared = 0;
  for (const file of manifest.files) {
    const problem = entryNameProblem(file.name);
    if (problem) throw new BundleError('BUNDLE_ENTRY_INVALID', `The manifest names a file ${JSON.stringify(file.name)} that ${problem}.`);
    if (named.has(file.name)) throw new BundleError('BUNDLE_ENTRY_INVALID', `The manifest names ${file.name} twice.`);
    if (!isFileName(file.name) || (!required.includes(file.name) && !optional.includes(file.name))) {
      throw new BundleError('BUNDLE_ENTRY_INVALID', `The manifest names ${file.name}, which a ${manifest.kind} bundle does not carry.`);
    }
    const entry = entries.get(file.name);
    if (!entry) throw new BundleError('BUNDLE_ENTRY_INVALID', `The manifest names ${file.name}, which the zip does not hold.`);
    if (entry.uncompressedSize !== file.bytes) {
      throw new BundleError('BUNDLE_HASH_MISMATCH', `${file.name} is ${entry.uncompressedSize} bytes in the zip, but the manifest says ${file.bytes}.`);
    }
    named.add(file.name);
    declared += file.bytes;
  }
  for (const name of required) {
    if (!named.has(name)) throw new BundleError('BUNDLE_ENTRY_INVALID', `The bundle lacks ${name}, which every ${manifest.kind} bundle carries.`);
  }
  for (const name of entries.keys()) {
    if (name !== MANIFEST_NAME && !named.has(name)) {
      throw new BundleError('BUNDLE_ENTRY_INVALID', `The zip holds ${JSON.stringify(name)}, which the manifest does not name.`);
    }
  }
  if (declared > maxBytes) {
    throw new BundleError('BUNDLE_TOO_LARGE', `The manifest declares ${declared} uncompressed bytes, over the limit of ${maxBytes}.`);
  }
}

/**
 * One data file's records, checked as they stream: bytes (against the bundle's budget and the
 * manifest), SHA-256, each line a valid record, and the count. Records come back per inflated
 * chunk, so a caller that does not want them pays no promise per record.
 */
async function* fileRecords(entry: ZipEntry, file: FileEntry, budget: { used: number; max: number }): AsyncGenerator<unknown[]> {
  const check = new FileCheck(file, budget);
  for await (const chunk of inflate(entry)) yield check.push(chunk);
  yield check.end();
}

/**
 * The checks of one file over its chunks. A bad line does not stop the hashing, so a tampered
 * file reports the mismatch rather than whatever its garbage looks like.
 */
class FileCheck {
  readonly #file: FileEntry;
  readonly #budget: { used: number; max: number };
  readonly #schema: (typeof RECORD_SCHEMAS)[FileName];
  readonly #hash = createHash('sha256');
  readonly #lines = new LineSplitter();
  #bytes = 0;
  #records = 0;
  #problem: string | null = null;

  constructor(file: FileEntry, budget: { used: number; max: number }) {
    this.#file = file;
    this.#budget = budget;
    this.#schema = RECORD_SCHEMAS[file.name as FileName];
  }

  push(chunk: Buffer): unknown[] {
    const { name } = this.#file;
    this.#bytes += chunk.length;
    this.#budget.used += chunk.length;
    if (this.#budget.used > this.#budget.max) {
      throw new BundleError('BUNDLE_TOO_LARGE', `The bundle inflates to more than ${this.#budget.max} bytes (at ${name}).`);
    }
    if (this.#bytes > this.#file.bytes) {
      throw new BundleError('BUNDLE_HASH_MISMATCH', `${name} holds more than the ${this.#file.bytes} bytes the manifest declares.`);
    }
    this.#hash.update(chunk);
    return this.#parse(() => this.#lines.push(chunk));
  }

  end(): unknown[] {
    const { name, bytes, sha256, records } = this.#file;
    const last = this.#parse(() => this.#lines.end());
    if (this.#bytes !== bytes) {
      throw new BundleError('BUNDLE_HASH_MISMATCH', `${name} holds ${this.#bytes} bytes, but the manifest says ${bytes}.`);
    }
    if (this.#hash.digest('hex') !== sha256) {
      throw new BundleError('BUNDLE_HASH_MISMATCH', `The SHA-256 of ${name} does not match the manifest.`);
    }
    if (this.#problem) throw new BundleError('BUNDLE_RECORD_INVALID', `The bundle's ${this.#problem}.`);
    if (this.#records !== records) {
      throw new BundleError('BUNDLE_RECORD_INVALID', `${name} holds ${this.#records} records, but the manifest says ${records}.`);
    }
    return last;
  }

  #parse(lines: () => Iterable<string>): unknown[] {
    const out: unknown[] = [];
    if (this.#problem) return out;
    const { name } = this.#file;
    try {
      for (const line of lines()) {
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          this.#problem = `line ${this.#records + 1} of ${name} is not JSON`;
          return [];
        }
        const parsed = this.#schema.safeParse(value);
        if (!parsed.success) {
          this.#problem = `line ${this.#records + 1} of ${name} is not a valid record (${describeIssue(parsed.error)})`;
          return [];
        }
        this.#records += 1;
        out.push(parsed.data);
      }
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      this.#problem = `${name} has ${err.message}`;
      return [];
    }
    return out;
  }
}

/** An entry's inflated bytes; a damaged entry (bad deflate data, cut short) is BUNDLE_NOT_ZIP. */
async function* inflate(entry: ZipEntry): AsyncGenerator<Buffer> {
  const stream = entry.stream();
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (err) {
    if (err instanceof BundleError) throw err;
    throw new BundleError('BUNDLE_NOT_ZIP', `The zip entry ${JSON.stringify(entry.path)} is damaged or cut short.`, { cause: err });
  } finally {
    stream.destroy();
  }
}
