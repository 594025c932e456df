// The device list's `?q=`: a case-insensitive plain substring of a device's hostname, PID or
// serial, answered from one compact column instead of from every device record: its signatures
// and ids in memory, its text where a `TextBytes` keeps it (the daemon: a file of its own, read a
// block at a time; tests: memory).
//
// Layout. Each device is one entry, in order of insertion:
//   text column  `hostname\x01pid\x01sn\x00`, each field folded (see `fold`) and UTF-8 encoded;
//   id column    the device id's UTF-8 bytes, no separator;
//   two Uint32Arrays with where each entry starts in each column (entry i spans
//   [starts[i], starts[i + 1]));
//   a 128-bit signature per entry (4 words, kept as 4 planes): one bit per hashed trigram of its fields;
//   a 1,024-bit signature per block of 32 entries (32 words, one a device): the same trigrams
//   under another hash, OR-ed over the block's entries;
//   an open-addressing hash table (Uint32Array) from the id's bytes to the entry, for set/delete.
// That is the id plus ~4 + 4 + 16 + 4 + 8–16 bytes per device in memory (and growth slack), with
// no JS object per device, and the text (~50 bytes a device) where the TextBytes keeps it.
//
// A search with a needle of 4 bytes or more walks the block signatures (a few words a block of
// 32), then in the blocks that hold every trigram bit of the needle the entries' signatures (a
// tight loop over typed arrays), and checks the bytes of the entries whose signature holds
// every trigram bit too. On the bench's fleet of a million, "sw-4242" passes 0.03% of the blocks
// and ~290 entries' signatures (the entry signatures alone pass ~5%, most of the fleet holding
// "-42", "424" and "242" somewhere), so a rare match costs ~0.4 ms instead of a walk of every
// entry's signature (~4 ms); a common one fills its page from the first blocks. A block's
// signature only gains bits (a changed or deleted entry leaves its old ones until a
// compaction rebuilds them): a stale bit costs a look, never a wrong answer. A shorter needle, whose one trigram a
// large part of any fleet holds, is a `Buffer.indexOf` over the column, a hit mapped back to
// its entry by binary search on `starts`. Either way a device is reported once. A folded needle
// never contains the bytes 0x00–0x03 (`fold` replaces them), so a hit can never span two fields
// or two entries; a deleted entry is marked in a bitmap (its text stays, never reported) and its
// signature zeroed. Deleted entries are dropped by a compaction once they are
// a quarter of the entries. An update that keeps the text's byte length is written in place;
// otherwise the entry is deleted and appended.
//
// Order: matches come in entry order, which is insertion order (a fill in id order stays in id
// order until devices are added or changed); compaction and `toBuffer` keep that order.
//
// Case and Unicode: query and data go through the same `fold`: NFC normalisation, then
// `String.prototype.toLowerCase()` (locale-independent), then final sigma 'ς' → 'σ'. Limits:
// this is lower-casing, not full case folding: 'ß' does not match "SS", and a character whose
// lower case is longer ('İ' → "i̇", i + U+0307) matches as its lower case does (the query "i"
// finds "İstanbul"). Control characters U+0000–U+0003 in data or query become U+FFFD.
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';

const END = 0x00;
const EMPTY = 0;
const TOMB = 0xffffffff;
const MAGIC = Buffer.from('ODSEARCH', 'latin1');
const VERSION = 3;
const HEADER = 8 + 4 + 4 + 4 + 4 + 4;
/** The saved file's numbers are little-endian; on such a host the offset arrays are copied whole. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0003]/g;
// eslint-disable-next-line no-control-regex
const NOT_PLAIN = /[^\u0004-\u007f]/;

/** The one normalisation applied to both the data and the query. */
export function fold(s: string): string {
  if (!NOT_PLAIN.test(s)) return s.toLowerCase(); // ASCII without 0x00–0x03: the common case
  return s.normalize('NFC').toLowerCase().replace(/ς/g, 'σ').replace(CONTROL, '\ufffd');
}

function grow<T extends Uint8Array | Uint32Array>(arr: T, need: number, make: (n: number) => T): T {
  if (need <= arr.length) return arr;
  const next = make(Math.max(need, Math.floor(arr.length * 1.5), 1024));
  next.set(arr);
  return next;
}
const bytes = (n: number): Buffer => Buffer.allocUnsafeSlow(n);
const words = (n: number): Uint32Array => new Uint32Array(n);

/** FNV-1a over bytes [from, to). */
function hash(buf: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h >>> 0;
}

/**
 * Words (32 bits each) of an entry's signature: 128 bits. (Behind the blocks, 64 bits measured
 * 0.4 ms for "sw-4242" too, but 4–5× slower for needles of common trigrams: "site42." in a
 * million looks into 20% of the entries, and 64 bits pass ~10% of those to a check of their bytes.)
 */
const SIG = 4;
/** An entry's signature bit for a trigram hash: its top log2(SIG × 32) bits. */
const SIG_SHIFT = 32 - Math.log2(SIG * 32);
/** Entries a block signature covers (1 << BLOCK_SHIFT), and its words (BW × 32 bits). */
const BLOCK_SHIFT = 5;
const BW = 32;
const BLOCK_BIT_MASK = BW * 32 - 1;
const blockWords = (entries: number): number => ((entries + (1 << BLOCK_SHIFT) - 1) >>> BLOCK_SHIFT) * BW;

/** The 32-bit hash of a trigram; an entry's signature takes its top 7 bits, a block's 10 others (of another mix). */
function trigramHash(a: number, b: number, c: number): number {
  return Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d);
}
const blockBit = (h: number): number => (Math.imul(h, 0x2c1b3c6d) >>> 7) & BLOCK_BIT_MASK;

/**
 * SIG × 32 bits at out[at…]: bit h(t) set for each trigram t of bytes [from, to) that lies inside
 * one field (no byte below 0x04); with `block`, also OR-ed into the BW words at block[base…].
 * Answers whether any trigram was.
 */
function signature(buf: Uint8Array, from: number, to: number, out: Uint32Array, at: number, block?: Uint32Array, base = 0): boolean {
  out.fill(0, at, at + SIG);
  let any = false;
  for (let k = from; k + 2 < to; k++) {
    const a = buf[k]!;
    const b = buf[k + 1]!;
    const c = buf[k + 2]!;
    if (a < 4 || b < 4 || c < 4) continue;
    const full = trigramHash(a, b, c);
    const h = full >>> SIG_SHIFT;
    out[at + (h >>> 5)]! |= 1 << (h & 31);
    if (block) {
      const x = blockBit(full);
      block[base + (x >>> 5)]! |= 1 << (x & 31);
    }
    any = true;
  }
  return any;
}

/** The block-signature bits of the needle's trigrams: word offsets and their masks (int32). */
function blockMasks(needle: Uint8Array): { offsets: number[]; masks: number[] } {
  const byWord = new Map<number, number>();
  for (let k = 0; k + 2 < needle.length; k++) {
    const x = blockBit(trigramHash(needle[k]!, needle[k + 1]!, needle[k + 2]!));
    byWord.set(x >>> 5, (byWord.get(x >>> 5) ?? 0) | (1 << (x & 31)));
  }
  return { offsets: [...byWord.keys()], masks: [...byWord.values()].map((m) => m | 0) };
}

/** Whether the block at `base` holds every needle bit. */
function blockHolds(blocks: Uint32Array, base: number, offsets: number[], masks: number[]): boolean {
  for (let j = 0; j < offsets.length; j++) {
    const m = masks[j]!;
    if ((blocks[base + offsets[j]!]! & m) !== m) return false;
  }
  return true;
}

function popcount(x: number): number {
  let c = 0;
  for (let v = x >>> 0; v !== 0; v >>>= 1) c += v & 1;
  return c;
}

/** The entries in [from, to) whose planes hold the bits b0…b3, into `out`; answers how many. */
function candidates(p0: Uint32Array, b0: number, p1: Uint32Array, b1: number, p2: Uint32Array, b2: number, p3: Uint32Array, b3: number, from: number, to: number, out: Uint32Array): number {
  let k = 0;
  for (let i = from; i < to; i++) {
    if ((p0[i]! & b0) !== b0) continue;
    if ((p1[i]! & b1) !== b1 || (p2[i]! & b2) !== b2 || (p3[i]! & b3) !== b3) continue;
    out[k++] = i;
  }
  return k;
}

/** Whether text[from, to) holds `needle`. */
function contains(text: Uint8Array, from: number, to: number, needle: Uint8Array): boolean {
  const nl = needle.length;
  const first = needle[0]!;
  const last = to - nl;
  for (let p = from; p <= last; p++) {
    if (text[p] !== first) continue;
    let k = 1;
    while (k < nl && text[p + k] === needle[k]) k++;
    if (k === nl) return true;
  }
  return false;
}

/**
 * Where the text column's bytes are: in memory (`MemoryText`, the default) or in a file the
 * daemon opened (daemon/files/device-search-file.ts), read a block at a time when a search
 * checks candidates. Positions are relative to the column's first byte.
 */
export interface TextBytes {
  /** Copies bytes [pos, pos + len) into `out`, from its start. */
  read(pos: number, len: number, out: Uint8Array): void;
  /** Writes the first `len` bytes of `src` at `pos` (at most the end: a write there appends). */
  write(pos: number, src: Uint8Array, len: number): void;
  /** Bytes it holds in this process's memory. */
  readonly memoryBytes: number;
  /** Lets go of what it holds (a file is closed); the column is not used after. */
  close(): void;
}

/** The text column in one growing buffer. */
export class MemoryText implements TextBytes {
  #buf: Buffer;
  /** Takes `initial` over (writes go into it until it is outgrown). */
  constructor(initial: Buffer = bytes(1024)) {
    this.#buf = initial;
  }
  read(pos: number, len: number, out: Uint8Array): void {
    this.#buf.copy(out, 0, pos, pos + len);
  }
  write(pos: number, src: Uint8Array, len: number): void {
    this.#buf = grow(this.#buf, pos + len, bytes);
    this.#buf.set(len === src.length ? src : src.subarray(0, len), pos);
  }
  get memoryBytes(): number {
    return this.#buf.length;
  }
  close(): void {
    this.#buf = bytes(0);
  }
}

/** What a saved column is read from: its bytes [pos, pos + len) (a view or a fresh buffer). */
export interface ByteSource {
  readonly size: number;
  /**
   * `len` bytes from `pos`. `into`, when given, is a buffer of at least `len` bytes the source
   * may read them into (its start is then returned) rather than into a new one.
   */
  read(pos: number, len: number, into?: Buffer): Buffer;
}

/** A saved column to load (`DeviceSearch.load`), and a way to let it go when it does not. */
export interface SavedColumn {
  source: ByteSource;
  textAt(pos: number, len: number): TextBytes;
  close(): void;
}

/** A saved column held in a buffer (taken over: the loaded column writes into it). */
export function bufferColumn(buf: Uint8Array): SavedColumn {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return { source: { size: b.length, read: (pos, len) => b.subarray(pos, pos + len) }, textAt: (pos, len) => new MemoryText(b.subarray(pos, pos + len)), close: () => {} };
}

/** A search reads the text of the blocks it checks in windows of this many bytes (~600 devices). */
const WINDOW = 32 * 1024;

/** Text is read and hashed in pieces of this many bytes (a scan, a save, a load, a compaction). */
const PIECE = 1 << 20;

/** The arrays of a compaction or a clustered copy, filled entry by entry (`#carry`). */
interface Rebuilt {
  starts: Uint32Array;
  idStarts: Uint32Array;
  ids: Buffer;
  planes: Uint32Array[];
  blocks: Uint32Array;
  /** Entries, text bytes and id bytes so far. */
  n: number;
  to: number;
  io: number;
}

/** Empty arrays for `live` entries of `idsLen` id bytes, with room for `grow` times as many. */
function rebuilt(live: number, idsLen: number, grow: number): Rebuilt {
  const starts = words(Math.max(1024, Math.ceil((live + 1) * grow)));
  return {
    starts,
    idStarts: words(starts.length),
    ids: bytes(Math.max(1024, Math.ceil(idsLen * grow))),
    planes: Array.from({ length: SIG }, () => words(starts.length)),
    blocks: words(blockWords(starts.length)),
    n: 0,
    to: 0,
    io: 0,
  };
}

export class DeviceSearch {
  #text: TextBytes;
  #textLen = 0;
  #starts: Uint32Array = words(1024); // entries + 1 used
  #ids: Buffer = bytes(1024);
  #idsLen = 0;
  #idStarts: Uint32Array = words(1024);
  #entries = 0; // including deleted ones
  #dead = 0;
  /** One bit an entry: deleted (its text stays where it was until a compaction). */
  #deadBits: Uint8Array = new Uint8Array(128);
  #changes = 0;
  /**
   * The signatures (128 bits an entry: which trigram hashes it holds) as SIG planes, plane w
   * holding word w of every entry: a search reads one plane through a block (4 bytes an entry)
   * and the others only for the entries that passed it.
   */
  #planes: Uint32Array[] = Array.from({ length: SIG }, () => words(1024));
  /** The block signatures: BW words a block of 1 << BLOCK_SHIFT entries. */
  #blocks: Uint32Array = words(blockWords(1024));
  #sig = new Uint32Array(SIG);
  #cands = new Uint32Array(1 << BLOCK_SHIFT);
  #table: Uint32Array = words(1024); // entry + 1, EMPTY or TOMB
  #tableUsed = 0; // slots not EMPTY
  #scratch: Buffer = bytes(256);
  /** An entry's text being set, encoded. */
  #entryBytes: Buffer = bytes(256);
  /** A block's text read for a search. */
  #blockText: Buffer = bytes(WINDOW);
  #looked = 0;

  constructor(text: TextBytes = new MemoryText()) {
    this.#text = text;
  }

  /** Grows with every `set` and `delete`: an answer kept for a query is current while it is unchanged. */
  get changes(): number {
    return this.#changes;
  }

  /** Entries whose signature the last search with a needle of a trigram or more tested (its blocks passed). */
  get lastLooked(): number {
    return this.#looked;
  }

  /** Devices in the index. */
  get count(): number {
    return this.#entries - this.#dead;
  }

  /** Bytes the index holds in memory (its arrays' capacity, not only what is used; the text where it is in memory). */
  get byteSize(): number {
    const wordCount = this.#starts.length + this.#idStarts.length + SIG * this.#planes[0]!.length + this.#blocks.length + this.#table.length;
    return this.#text.memoryBytes + this.#ids.length + 4 * wordCount + this.#deadBits.length + this.#scratch.length + this.#entryBytes.length + this.#blockText.length;
  }

  /** Adds a device or replaces what is indexed for it. */
  set(id: string, hostname: string | null, pid: string, sn: string): void {
    this.#changes++;
    const text = `${fold(hostname ?? '')}\x01${fold(pid)}\x01${fold(sn)}\x00`;
    if (this.#entryBytes.length < text.length * 3) this.#entryBytes = bytes(text.length * 3);
    const len = this.#entryBytes.write(text, 0, 'utf8');
    const idLen = this.#encodeId(id);
    const entry = this.#find(idLen);
    if (entry >= 0) {
      const s = this.#starts[entry]!;
      if (this.#starts[entry + 1]! - s === len) {
        this.#text.write(s, this.#entryBytes, len);
        this.#sign(entry, this.#entryBytes, 0, len);
        return;
      }
      this.#kill(entry, idLen);
    }
    this.#append(len, idLen);
    this.#maybeCompact();
  }

  /** Removes a device; false when it was not indexed. */
  delete(id: string): boolean {
    this.#changes++;
    const idLen = this.#encodeId(id);
    const entry = this.#find(idLen);
    if (entry < 0) return false;
    this.#kill(entry, idLen);
    this.#maybeCompact();
    return true;
  }

  has(id: string): boolean {
    return this.#find(this.#encodeId(id)) >= 0;
  }

  /**
   * Calls `onMatch` with the id of each device whose hostname, PID or serial contains `q`
   * (case-insensitive, plain text: no character is special), in entry order, until it returns
   * `false`. Returns how many ids it handed over. An empty `q` matches every device.
   */
  search(q: string, onMatch: (id: string) => boolean | void): number {
    const needle = Buffer.from(fold(q), 'utf8');
    const starts = this.#starts;
    let reported = 0;
    if (needle.length === 0) {
      for (let i = 0; i < this.#entries; i++) {
        if (this.#isDead(i)) continue;
        reported++;
        if (onMatch(this.#idOf(i)) === false) break;
      }
      return reported;
    }
    // A needle of one trigram sets one bit, which a large part of any fleet holds: the bytes are
    // searched directly (memchr-fast for a rare first byte, and a common needle fills the page soon).
    const mask = new Uint32Array(SIG);
    if (needle.length <= 3 || !signature(needle, 0, needle.length, mask, 0)) return this.#scan(needle, onMatch);
    // Blocks whose signature holds every trigram bit of the needle; in those, entries whose
    // signature holds every trigram hash of the needle, then a check of their bytes (the
    // block's text read once). The planes are tested most needle bits first (most selective); a
    // plane without needle bits is tested last and always passes.
    const order = [0, 1, 2, 3].sort((x, y) => popcount(mask[y]!) - popcount(mask[x]!));
    const [p0, p1, p2, p3] = order.map((w) => this.#planes[w]!) as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
    const [b0, b1, b2, b3] = order.map((w) => mask[w]! | 0) as [number, number, number, number]; // int32, as `&` answers
    const n = this.#entries;
    const blocks = this.#blocks;
    const { offsets, masks } = blockMasks(needle);
    const cands = this.#cands;
    let winFrom = 0;
    let winLen = 0;
    this.#looked = 0;
    for (let from = 0, base = 0; from < n; from += 1 << BLOCK_SHIFT, base += BW) {
      if (!blockHolds(blocks, base, offsets, masks)) continue;
      this.#looked += Math.min(n, from + (1 << BLOCK_SHIFT)) - from;
      const found = candidates(p0, b0, p1, b1, p2, b2, p3, b3, from, Math.min(n, from + (1 << BLOCK_SHIFT)), cands);
      if (found === 0) continue;
      // The text from the first candidate's start to the last one's end: in the window read
      // last, or read now: a window reading on past the block (for the blocks after it) when
      // the last read was near, else just the block's (sparse matches: ~1.6 kB, not 32).
      const lo = starts[cands[0]!]!;
      const hi = starts[cands[found - 1]! + 1]!;
      if (lo < winFrom || hi > winFrom + winLen) {
        const near = winLen > 0 && lo - (winFrom + winLen) < WINDOW;
        winFrom = lo;
        winLen = near ? Math.min(Math.max(hi - lo, WINDOW), this.#textLen - lo) : hi - lo;
        if (this.#blockText.length < winLen) this.#blockText = bytes(winLen);
        this.#text.read(winFrom, winLen, this.#blockText);
      }
      const text = this.#blockText;
      for (let c = 0; c < found; c++) {
        const i = cands[c]!;
        if (!contains(text, starts[i]! - winFrom, starts[i + 1]! - winFrom, needle)) continue;
        reported++;
        if (onMatch(this.#idOf(i)) === false) return reported;
      }
    }
    return reported;
  }

  /**
   * A needle too short for a trigram: `Buffer.indexOf` over the column, a piece at a time
   * (pieces overlap by the needle's length less one, so no hit is lost between two).
   */
  #scan(needle: Buffer, onMatch: (id: string) => boolean | void): number {
    const starts = this.#starts;
    const piece = bytes(Math.min(PIECE, Math.max(this.#textLen, 1)));
    let reported = 0;
    let from = 0;
    while (from < this.#textLen) {
      const len = Math.min(piece.length, this.#textLen - from);
      this.#text.read(from, len, piece);
      const hay = piece.subarray(0, len);
      // The next piece: overlapping this one by the needle's length less one, or the end.
      let next = len === piece.length ? Math.max(from + 1, from + len - (needle.length - 1)) : this.#textLen;
      for (let at = 0; ; ) {
        const pos = hay.indexOf(needle, at);
        if (pos < 0) break;
        const entry = this.#entryAt(from + pos);
        const end = starts[entry + 1]!;
        if (!this.#isDead(entry)) {
          reported++;
          if (onMatch(this.#idOf(entry)) === false) return reported;
        }
        // The entry is done: the next piece starts after it if this one ends inside it.
        next = Math.max(next, end);
        at = end - from;
        if (at >= len) break;
      }
      from = next;
    }
    return reported;
  }

  /** A copy of the live entries in order of their text's first bytes, its text in memory. */
  #clustered(): DeviceSearch {
    const text = bytes(Math.max(1, this.#textLen));
    this.#text.read(0, this.#textLen, text);
    const starts = this.#starts;
    // Sorted by their first 12 bytes (least significant first, stable: ties keep insertion
    // order): enough to put similar names together, linear in the entries. Records of the 12
    // bytes (3 words, big-endian) and the entry move from pass to pass: sequential reads.
    const n = this.count;
    let rec = new Uint32Array(4 * n);
    let tmp = new Uint32Array(4 * n);
    for (let e = 0, i = 0; e < this.#entries; e++) {
      if (this.#isDead(e)) continue;
      const z = starts[e + 1]!;
      for (let w = 0, p = starts[e]!; w < 3; w++) {
        let v = 0;
        for (let j = 0; j < 4; j++, p++) v = (v << 8) | (p < z ? text[p]! : 0);
        rec[4 * i + w] = v >>> 0;
      }
      rec[4 * i + 3] = e;
      i++;
    }
    const counts = new Uint32Array(257);
    for (let k = 11; k >= 0; k--) {
      const word = k >>> 2;
      const shift = (3 - (k & 3)) * 8;
      counts.fill(0);
      for (let i = 0; i < n; i++) counts[((rec[4 * i + word]! >>> shift) & 255) + 1]!++;
      for (let b = 1; b < 257; b++) counts[b]! += counts[b - 1]!;
      for (let i = 0; i < n; i++) {
        const at = 4 * counts[(rec[4 * i + word]! >>> shift) & 255]!++;
        tmp[at] = rec[4 * i]!;
        tmp[at + 1] = rec[4 * i + 1]!;
        tmp[at + 2] = rec[4 * i + 2]!;
        tmp[at + 3] = rec[4 * i + 3]!;
      }
      [rec, tmp] = [tmp, rec];
    }
    const cText = bytes(Math.max(1024, this.#textLen));
    const r = rebuilt(n, this.#idsLen, 1);
    for (let i = 0; i < n; i++) {
      const e = rec[4 * i + 3]!;
      const from = starts[e]!;
      const len = starts[e + 1]! - from;
      text.copy(cText, r.to, from, from + len);
      this.#carry(r, e, text, from, len);
    }
    const c = new DeviceSearch(new MemoryText(bytes(0)));
    c.#install(r, new MemoryText(cText));
    return c;
  }

  /** The entry holding text position pos: the last i with starts[i] <= pos. */
  #entryAt(pos: number): number {
    const starts = this.#starts;
    let lo = 0;
    let hi = this.#entries - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** `save()`'s bytes in one buffer (tests; the daemon writes them one piece after another). */
  toBuffer(): Buffer {
    return Buffer.concat([...this.save()]);
  }

  /**
   * The index as bytes, in pieces to write one after another (deleted entries dropped first): a
   * header (format, version, sizes), the u32 arrays, little-endian (starts, idStarts, the SIG
   * signature planes, the block signatures, the id table), the id bytes, the text, then a
   * SHA-256 of everything before it. The arrays are views of the index's own (on a
   * little-endian host); the text is read a piece at a time. Valid until the index changes.
   *
   * `clustered`: the entries in order of their text (hostname first), not of insertion: devices
   * of similar names share blocks, so a block's signature tells more (at a million, `sw-4242`
   * looks into ~300 entries instead of ~25,000 when the column was filled in id order). That
   * costs a copy of the column in memory while it is written (the daemon does it at shutdown).
   */
  *save(opts: { clustered?: boolean } = {}): Generator<Uint8Array> {
    if (opts.clustered) {
      yield* this.#clustered().save();
      return;
    }
    this.#compact();
    const n = this.#entries;
    const hash = createHash('sha256');
    const out = function* (part: Uint8Array) {
      hash.update(part);
      yield part;
    };
    const head = Buffer.alloc(HEADER);
    MAGIC.copy(head, 0);
    head.writeUInt32LE(VERSION, 8);
    head.writeUInt32LE(n, 12);
    head.writeUInt32LE(this.#textLen, 16);
    head.writeUInt32LE(this.#idsLen, 20);
    head.writeUInt32LE(this.#table.length, 24);
    yield* out(head);
    const arrays: Array<[Uint32Array, number]> = [[this.#starts, n + 1], [this.#idStarts, n + 1], ...this.#planes.map((p): [Uint32Array, number] => [p, n]), [this.#blocks, blockWords(n)], [this.#table, this.#table.length]];
    for (const [arr, len] of arrays) {
      if (LITTLE_ENDIAN) yield* out(Buffer.from(arr.buffer, arr.byteOffset, 4 * len));
      else {
        const b = Buffer.allocUnsafe(4 * len);
        for (let i = 0; i < len; i++) b.writeUInt32LE(arr[i]!, 4 * i);
        yield* out(b);
      }
    }
    yield* out(this.#ids.subarray(0, this.#idsLen));
    for (let pos = 0; pos < this.#textLen; pos += PIECE) {
      const piece = Buffer.allocUnsafe(Math.min(PIECE, this.#textLen - pos));
      this.#text.read(pos, piece.length, piece);
      yield* out(piece);
    }
    yield hash.digest();
  }

  /**
   * Reads what `toBuffer` wrote; throws an Error on anything else (wrong format, version, damage).
   * Takes `buf` over: the index may keep views of it and write into them, so the caller must not
   * use it again.
   */
  static fromBuffer(buf: Uint8Array): DeviceSearch {
    const saved = bufferColumn(buf);
    return DeviceSearch.load(saved.source, saved.textAt);
  }

  /**
   * Reads what `save` wrote from `src`, every byte once (the checksum); throws an Error on
   * anything else (wrong format, version, damage). The arrays and ids are kept in memory; the
   * text stays where `textAt(pos, len)` says it is (the file's own bytes [pos, pos + len), or
   * a buffer's), written into by later changes.
   */
  static load(src: ByteSource, textAt: (pos: number, len: number) => TextBytes): DeviceSearch {
    const bad = (why: string): never => {
      throw new Error(`not a device search index: ${why}`);
    };
    if (src.size < HEADER + 32) bad('no header');
    const head = src.read(0, HEADER);
    if (!head.subarray(0, 8).equals(MAGIC)) bad('no header');
    if (head.readUInt32LE(8) !== VERSION) bad(`version ${head.readUInt32LE(8)}`);
    const n = head.readUInt32LE(12);
    const textLen = head.readUInt32LE(16);
    const idsLen = head.readUInt32LE(20);
    const tableSize = head.readUInt32LE(24);
    const wordBytes = 4 * (2 * (n + 1) + SIG * n + blockWords(n) + tableSize);
    if (src.size !== HEADER + wordBytes + idsLen + textLen + 32) bad('sizes do not add up');
    if (tableSize < 1024 || (tableSize & (tableSize - 1)) !== 0 || tableSize < 2 * n) bad('table size');
    const hash = createHash('sha256').update(head);
    // The arrays and ids: views of what the source read (4-byte aligned, on a little-endian
    // host), not copies.
    const body = src.read(HEADER, wordBytes + idsLen);
    hash.update(body);
    const view = LITTLE_ENDIAN && body.byteOffset % 4 === 0;
    let o = 0;
    const u32 = (len: number): Uint32Array => {
      let arr: Uint32Array;
      if (view) arr = new Uint32Array(body.buffer, body.byteOffset + o, len);
      else {
        arr = words(len);
        for (let i = 0; i < len; i++) arr[i] = body.readUInt32LE(o + 4 * i);
      }
      o += 4 * len;
      return arr;
    };
    const s = new DeviceSearch(new MemoryText(bytes(0)));
    s.#starts = u32(n + 1);
    s.#idStarts = u32(n + 1);
    s.#planes = Array.from({ length: SIG }, () => u32(n));
    s.#blocks = u32(blockWords(n));
    s.#table = u32(tableSize);
    s.#ids = view ? body.subarray(o, o + idsLen) : Buffer.from(body.subarray(o, o + idsLen));
    s.#deadBits = new Uint8Array(Math.max(128, (n + 8) >>> 3));
    if (s.#starts[0] !== 0 || s.#idStarts[0] !== 0 || s.#starts[n] !== textLen || s.#idStarts[n] !== idsLen) bad('bounds');
    for (let i = 0; i < n; i++) if (s.#starts[i + 1]! <= s.#starts[i]! || s.#idStarts[i + 1]! < s.#idStarts[i]!) bad(`entry ${i}`);
    // The text, a piece at a time: hashed, and each entry's last byte checked as it passes. One
    // buffer for every piece: a new one each time left tens of MB of dead pieces to the next
    // collection, which the allocator did not always give back (start-up RSS varied by ~25 MB).
    const textStart = HEADER + wordBytes + idsLen;
    const into = bytes(Math.min(PIECE, textLen));
    let e = 0;
    for (let pos = 0; pos < textLen; pos += PIECE) {
      const len = Math.min(PIECE, textLen - pos);
      const piece = src.read(textStart + pos, len, into).subarray(0, len);
      hash.update(piece);
      for (; e < n && s.#starts[e + 1]! <= pos + len; e++) {
        if (piece[s.#starts[e + 1]! - 1 - pos] !== END) bad(`entry ${e}`);
      }
    }
    if (!hash.digest().equals(src.read(src.size - 32, 32))) bad('checksum');
    // The table: each entry once, nothing else (EMPTY slots only: save compacts first).
    let used = 0;
    const seen = new Uint8Array(n);
    for (const v of s.#table) {
      if (v === EMPTY) continue;
      if (v === TOMB || v > n || seen[v - 1] === 1) bad('table');
      seen[v - 1] = 1;
      used++;
    }
    if (used !== n) bad('table');
    s.#tableUsed = used;
    s.#text = textAt(textStart, textLen);
    s.#textLen = textLen;
    s.#idsLen = idsLen;
    s.#entries = n;
    return s;
  }

  /** Lets go of the text's storage (a file is closed): for a column that is being replaced. */
  close(): void {
    this.#text.close();
  }

  // --- internals ---

  #encodeId(id: string): number {
    if (this.#scratch.length < id.length * 3) this.#scratch = bytes(id.length * 3);
    return this.#scratch.write(id, 0, 'utf8');
  }

  #idEquals(entry: number, idLen: number): boolean {
    const a = this.#idStarts[entry]!;
    if (this.#idStarts[entry + 1]! - a !== idLen) return false;
    const ids = this.#ids;
    const sc = this.#scratch;
    for (let k = 0; k < idLen; k++) if (ids[a + k] !== sc[k]) return false;
    return true;
  }

  /** The live entry whose id is the scratch's first idLen bytes, or -1. */
  #find(idLen: number): number {
    const t = this.#table;
    const mask = t.length - 1;
    for (let j = hash(this.#scratch, 0, idLen) & mask; ; j = (j + 1) & mask) {
      const v = t[j]!;
      if (v === EMPTY) return -1;
      if (v !== TOMB && this.#idEquals(v - 1, idLen)) return v - 1;
    }
  }

  #slotOf(entry: number, idLen: number): number {
    const t = this.#table;
    const mask = t.length - 1;
    for (let j = hash(this.#scratch, 0, idLen) & mask; ; j = (j + 1) & mask) if (t[j] === entry + 1) return j;
  }

  /** The entry's signature from its bytes buf[from, to), its trigrams' bits also added to its block's. */
  #sign(entry: number, buf: Uint8Array, from: number, to: number): void {
    signature(buf, from, to, this.#sig, 0, this.#blocks, (entry >>> BLOCK_SHIFT) * BW);
    for (let w = 0; w < SIG; w++) this.#planes[w]![entry] = this.#sig[w]!;
  }

  #isDead(entry: number): boolean {
    return (this.#deadBits[entry >>> 3]! & (1 << (entry & 7))) !== 0;
  }

  #idOf(entry: number): string {
    return this.#ids.toString('utf8', this.#idStarts[entry]!, this.#idStarts[entry + 1]!);
  }

  #kill(entry: number, idLen: number): void {
    this.#table[this.#slotOf(entry, idLen)] = TOMB;
    this.#deadBits[entry >>> 3]! |= 1 << (entry & 7);
    for (const plane of this.#planes) plane[entry] = 0; // matches no needle
    this.#dead++;
  }

  /** Appends the entry whose text is #entryBytes[0, len) and id the scratch's first idLen bytes. */
  #append(len: number, idLen: number): void {
    const n = this.#entries;
    this.#text.write(this.#textLen, this.#entryBytes, len);
    this.#textLen += len;
    this.#ids = grow(this.#ids, this.#idsLen + idLen, bytes);
    this.#idsLen += this.#scratch.copy(this.#ids, this.#idsLen, 0, idLen);
    this.#starts = grow(this.#starts, n + 2, words);
    this.#idStarts = grow(this.#idStarts, n + 2, words);
    this.#starts[n + 1] = this.#textLen;
    this.#idStarts[n + 1] = this.#idsLen;
    this.#entries = n + 1;
    if (this.#deadBits.length * 8 < n + 1) {
      const next = new Uint8Array(this.#deadBits.length * 2);
      next.set(this.#deadBits);
      this.#deadBits = next;
    }
    for (let w = 0; w < SIG; w++) this.#planes[w] = grow(this.#planes[w]!, n + 1, words);
    this.#blocks = grow(this.#blocks, blockWords(n + 1), words);
    this.#sign(n, this.#entryBytes, 0, len);
    if ((this.#tableUsed + 1) * 2 > this.#table.length) {
      this.#rebuildTable(); // includes the new entry
      return;
    }
    const t = this.#table;
    const mask = t.length - 1;
    let j = hash(this.#scratch, 0, idLen) & mask;
    while (t[j] !== EMPTY && t[j] !== TOMB) j = (j + 1) & mask;
    if (t[j] === EMPTY) this.#tableUsed++;
    t[j] = n + 1;
  }

  /** A table sized for the live entries (load ≤ 1/2); false when two live entries share an id. */
  #rebuildTable(): boolean {
    let size = 1024;
    while (size < 2 * (this.count + 1)) size *= 2;
    const t = words(size);
    const mask = size - 1;
    const ids = this.#ids;
    let ok = true;
    for (let e = 0; e < this.#entries; e++) {
      if (this.#isDead(e)) continue;
      const a = this.#idStarts[e]!;
      const z = this.#idStarts[e + 1]!;
      let j = hash(ids, a, z) & mask;
      for (; t[j] !== EMPTY; j = (j + 1) & mask) {
        const o = this.#idStarts[t[j]! - 1]!;
        if (this.#idStarts[t[j]!]! - o === z - a && ids.compare(ids, a, z, o, o + (z - a)) === 0) ok = false;
      }
      t[j] = e + 1;
    }
    this.#table = t;
    this.#tableUsed = this.count;
    return ok;
  }

  #maybeCompact(): void {
    if (this.#dead > 1024 && this.#dead * 4 > this.#entries) this.#compact();
  }

  /**
   * Drops deleted entries, keeping the others' order. The text moves toward the start of its
   * storage, in place (a piece read, its live entries written at or before where they were:
   * what is overwritten was read already); the blocks' signatures are made anew from it.
   */
  #compact(): void {
    if (this.#dead === 0) return;
    let idsLen = 0;
    for (let e = 0; e < this.#entries; e++) if (!this.#isDead(e)) idsLen += this.#idStarts[e + 1]! - this.#idStarts[e]!;
    const r = rebuilt(this.count, idsLen, 1.25);
    const inPiece = bytes(PIECE);
    const outPiece = bytes(PIECE);
    let outLen = 0; // bytes of outPiece waiting to be written at `to - outLen`
    let pieceFrom = 0; // inPiece holds the text [pieceFrom, pieceFrom + pieceLen)
    let pieceLen = 0;
    const flush = () => {
      if (outLen > 0) this.#text.write(r.to - outLen, outPiece, outLen);
      outLen = 0;
    };
    for (let e = 0; e < this.#entries; e++) {
      if (this.#isDead(e)) continue;
      const s = this.#starts[e]!;
      const len = this.#starts[e + 1]! - s;
      let src: Uint8Array;
      let at: number;
      if (len > PIECE) {
        src = bytes(len); // an entry larger than a piece: read on its own
        this.#text.read(s, len, src);
        at = 0;
      } else {
        if (s + len > pieceFrom + pieceLen) {
          flush(); // written before the piece is read again: never overwrites what is still to read
          pieceFrom = s;
          pieceLen = Math.min(PIECE, this.#textLen - s);
          this.#text.read(pieceFrom, pieceLen, inPiece);
        }
        src = inPiece;
        at = s - pieceFrom;
      }
      if (outLen + len > PIECE) flush();
      if (len > PIECE) {
        flush();
        this.#text.write(r.to, src, len);
      } else {
        outPiece.set(src.subarray(at, at + len), outLen);
        outLen += len;
      }
      this.#carry(r, e, src, at, len);
    }
    flush();
    this.#install(r, this.#text);
  }

  /**
   * Appends live entry `e` to `r` (a compaction's or a clustered copy's new arrays), its text
   * being `src[at, at + len)`, already placed at `r.to` of the new text: its id bytes, its
   * signature planes, its share of its new block's signature, its bounds.
   */
  #carry(r: Rebuilt, e: number, src: Uint8Array, at: number, len: number): void {
    signature(src, at, at + len, this.#sig, 0, r.blocks, (r.n >>> BLOCK_SHIFT) * BW);
    r.to += len;
    r.io += this.#ids.copy(r.ids, r.io, this.#idStarts[e]!, this.#idStarts[e + 1]!);
    for (let w = 0; w < SIG; w++) r.planes[w]![r.n] = this.#planes[w]![e]!;
    r.n++;
    r.starts[r.n] = r.to;
    r.idStarts[r.n] = r.io;
  }

  /** Takes `r`'s arrays, with `text` holding its text, as this index's: no dead entries, a new id table. */
  #install(r: Rebuilt, text: TextBytes): void {
    this.#text = text;
    this.#ids = r.ids;
    this.#starts = r.starts;
    this.#idStarts = r.idStarts;
    this.#planes = r.planes;
    this.#blocks = r.blocks;
    this.#deadBits = new Uint8Array(Math.max(128, r.starts.length >>> 3));
    this.#textLen = r.to;
    this.#idsLen = r.io;
    this.#entries = r.n;
    this.#dead = 0;
    this.#rebuildTable();
  }
}
