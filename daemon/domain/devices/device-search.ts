// The device list's `?q=`: a case-insensitive plain substring of a device's hostname, PID or
// serial, answered from one compact byte column in memory instead of from every device record.
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
// That is the text and the id plus ~4 + 4 + 16 + 4 + 8–16 bytes per device (and growth slack),
// with no JS object per device.
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
// or two entries and never lands in a deleted entry (its text bytes are overwritten with 0x03, a
// tombstone, and its signature zeroed). Deleted entries are dropped by a compaction once they are
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
const DEAD = 0x03;
const EMPTY = 0;
const TOMB = 0xffffffff;
const MAGIC = Buffer.from('ODSEARCH', 'latin1');
const VERSION = 3;
const HEADER = 8 + 4 + 4 + 4 + 4 + 4 + 32;
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

export class DeviceSearch {
  #text: Buffer = bytes(1024);
  #textLen = 0;
  #starts: Uint32Array = words(1024); // entries + 1 used
  #ids: Buffer = bytes(1024);
  #idsLen = 0;
  #idStarts: Uint32Array = words(1024);
  #entries = 0; // including deleted ones
  #dead = 0;
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
  #looked = 0;

  /** Devices in the index. */
  /** Grows with every `set` and `delete`: an answer kept for a query is current while it is unchanged. */
  get changes(): number {
    return this.#changes;
  }

  /** Entries whose signature the last search with a needle of a trigram or more tested (its blocks passed). */
  get lastLooked(): number {
    return this.#looked;
  }

  get count(): number {
    return this.#entries - this.#dead;
  }

  /** Bytes held by the index's arrays (its capacity, not only what is used). */
  get byteSize(): number {
    return this.#text.length + this.#ids.length + 4 * (this.#starts.length + this.#idStarts.length + SIG * this.#planes[0]!.length + this.#blocks.length + this.#table.length) + this.#scratch.length;
  }

  /** Adds a device or replaces what is indexed for it. */
  set(id: string, hostname: string | null, pid: string, sn: string): void {
    this.#changes++;
    const text = `${fold(hostname ?? '')}\x01${fold(pid)}\x01${fold(sn)}\x00`;
    const len = Buffer.byteLength(text);
    const idLen = this.#encodeId(id);
    const entry = this.#find(idLen);
    if (entry >= 0) {
      const s = this.#starts[entry]!;
      if (this.#starts[entry + 1]! - s === len) {
        this.#text.write(text, s, 'utf8');
        this.#sign(entry);
        return;
      }
      this.#kill(entry, idLen);
    }
    this.#append(text, len, idLen);
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
    // signature holds every trigram hash of the needle, then a check of their bytes. The planes
    // are tested most needle bits first (most selective); a plane without needle bits is tested
    // last and always passes.
    const order = [0, 1, 2, 3].sort((x, y) => popcount(mask[y]!) - popcount(mask[x]!));
    const [p0, p1, p2, p3] = order.map((w) => this.#planes[w]!) as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
    const [b0, b1, b2, b3] = order.map((w) => mask[w]! | 0) as [number, number, number, number]; // int32, as `&` answers
    const text = this.#text;
    const n = this.#entries;
    const blocks = this.#blocks;
    const { offsets, masks } = blockMasks(needle);
    const cands = this.#cands;
    this.#looked = 0;
    for (let from = 0, base = 0; from < n; from += 1 << BLOCK_SHIFT, base += BW) {
      if (!blockHolds(blocks, base, offsets, masks)) continue;
      this.#looked += Math.min(n, from + (1 << BLOCK_SHIFT)) - from;
      const found = candidates(p0, b0, p1, b1, p2, b2, p3, b3, from, Math.min(n, from + (1 << BLOCK_SHIFT)), cands);
      for (let c = 0; c < found; c++) {
        const i = cands[c]!;
        if (!contains(text, starts[i]!, starts[i + 1]!, needle)) continue;
        reported++;
        if (onMatch(this.#idOf(i)) === false) return reported;
      }
    }
    return reported;
  }

  /** A needle too short for a trigram: Buffer.indexOf over the whole column. */
  #scan(needle: Buffer, onMatch: (id: string) => boolean | void): number {
    const starts = this.#starts;
    const hay = this.#text.subarray(0, this.#textLen);
    let reported = 0;
    let from = 0;
    for (;;) {
      const pos = hay.indexOf(needle, from);
      if (pos < 0) break;
      // The entry holding pos: the last i with starts[i] <= pos.
      let lo = 0;
      let hi = this.#entries - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (starts[mid]! <= pos) lo = mid;
        else hi = mid - 1;
      }
      from = starts[lo + 1]!;
      reported++;
      if (onMatch(this.#idOf(lo)) === false) break;
    }
    return reported;
  }

  /**
   * The index as bytes (deleted entries dropped): a header (sizes, a SHA-256 of the body), then
   * the body: u32 arrays, little-endian (starts, idStarts, the SIG signature planes, the block
   * signatures, the id table), then the text and id bytes. Loading it computes nothing per entry.
   */
  toBuffer(): Buffer {
    return Buffer.concat(this.toBuffers());
  }

  /**
   * `toBuffer`'s bytes as parts to write one after another: views of the index's own arrays
   * (on a little-endian host), not a copy of a column of a million devices. Valid until the
   * index changes.
   */
  toBuffers(): Buffer[] {
    this.#compact();
    const n = this.#entries;
    const arrays: Array<[Uint32Array, number]> = [[this.#starts, n + 1], [this.#idStarts, n + 1], ...this.#planes.map((p): [Uint32Array, number] => [p, n]), [this.#blocks, blockWords(n)], [this.#table, this.#table.length]];
    const parts: Buffer[] = [];
    for (const [arr, len] of arrays) {
      if (LITTLE_ENDIAN) parts.push(Buffer.from(arr.buffer, arr.byteOffset, 4 * len));
      else {
        const b = Buffer.allocUnsafe(4 * len);
        for (let i = 0; i < len; i++) b.writeUInt32LE(arr[i]!, 4 * i);
        parts.push(b);
      }
    }
    parts.push(this.#text.subarray(0, this.#textLen), this.#ids.subarray(0, this.#idsLen));
    const head = Buffer.alloc(HEADER);
    MAGIC.copy(head, 0);
    head.writeUInt32LE(VERSION, 8);
    head.writeUInt32LE(n, 12);
    head.writeUInt32LE(this.#textLen, 16);
    head.writeUInt32LE(this.#idsLen, 20);
    head.writeUInt32LE(this.#table.length, 24);
    const hash = createHash('sha256');
    for (const part of parts) hash.update(part);
    hash.digest().copy(head, 28);
    return [head, ...parts];
  }

  /**
   * Reads what `toBuffer` wrote; throws an Error on anything else (wrong format, version, damage).
   * Takes `buf` over: the index may keep views of it and write into them, so the caller must not
   * use it again.
   */
  static fromBuffer(buf: Uint8Array): DeviceSearch {
    const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    const bad = (why: string): never => {
      throw new Error(`not a device search index: ${why}`);
    };
    if (b.length < HEADER || !b.subarray(0, 8).equals(MAGIC)) bad('no header');
    if (b.readUInt32LE(8) !== VERSION) bad(`version ${b.readUInt32LE(8)}`);
    const n = b.readUInt32LE(12);
    const textLen = b.readUInt32LE(16);
    const idsLen = b.readUInt32LE(20);
    const tableSize = b.readUInt32LE(24);
    const body = b.subarray(HEADER);
    const wordBytes = 4 * (2 * (n + 1) + SIG * n + blockWords(n) + tableSize);
    if (body.length !== wordBytes + textLen + idsLen) bad('sizes do not add up');
    if (tableSize < 1024 || (tableSize & (tableSize - 1)) !== 0 || tableSize < 2 * n) bad('table size');
    if (!createHash('sha256').update(body).digest().equals(b.subarray(28, HEADER))) bad('checksum');
    // On a little-endian host with the body 4-byte aligned (a file read whole is), the arrays are
    // views of `buf`, not copies: a column of a million devices is not held twice while it loads.
    // The first append that outgrows a view moves that array into its own memory (`grow`).
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
    const u8 = (len: number): Buffer => {
      const part = view ? body.subarray(o, o + len) : Buffer.from(body.subarray(o, o + len));
      o += len;
      return part;
    };
    const s = new DeviceSearch();
    s.#starts = u32(n + 1);
    s.#idStarts = u32(n + 1);
    s.#planes = Array.from({ length: SIG }, () => u32(n));
    s.#blocks = u32(blockWords(n));
    s.#table = u32(tableSize);
    s.#text = u8(textLen);
    s.#ids = u8(idsLen);
    s.#textLen = textLen;
    s.#idsLen = idsLen;
    s.#entries = n;
    if (s.#starts[0] !== 0 || s.#idStarts[0] !== 0 || s.#starts[n] !== textLen || s.#idStarts[n] !== idsLen) bad('bounds');
    for (let i = 0; i < n; i++) {
      const a = s.#starts[i]!;
      const z = s.#starts[i + 1]!;
      if (z <= a || s.#text[z - 1] !== END || s.#text[a] === DEAD || s.#idStarts[i + 1]! < s.#idStarts[i]!) bad(`entry ${i}`);
    }
    // The table: each entry once, nothing else (EMPTY slots only: toBuffer compacts first).
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
    return s;
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

  /** The entry's signature, its trigrams' bits also added to its block's. */
  #sign(entry: number): void {
    signature(this.#text, this.#starts[entry]!, this.#starts[entry + 1]!, this.#sig, 0, this.#blocks, (entry >>> BLOCK_SHIFT) * BW);
    for (let w = 0; w < SIG; w++) this.#planes[w]![entry] = this.#sig[w]!;
  }

  #isDead(entry: number): boolean {
    return this.#text[this.#starts[entry]!] === DEAD;
  }

  #idOf(entry: number): string {
    return this.#ids.toString('utf8', this.#idStarts[entry]!, this.#idStarts[entry + 1]!);
  }

  #kill(entry: number, idLen: number): void {
    this.#table[this.#slotOf(entry, idLen)] = TOMB;
    this.#text.fill(DEAD, this.#starts[entry]!, this.#starts[entry + 1]! - 1);
    for (const plane of this.#planes) plane[entry] = 0; // matches no needle
    this.#dead++;
  }

  #append(text: string, len: number, idLen: number): void {
    const n = this.#entries;
    this.#text = grow(this.#text, this.#textLen + len, bytes);
    this.#textLen += this.#text.write(text, this.#textLen, 'utf8');
    this.#ids = grow(this.#ids, this.#idsLen + idLen, bytes);
    this.#idsLen += this.#scratch.copy(this.#ids, this.#idsLen, 0, idLen);
    this.#starts = grow(this.#starts, n + 2, words);
    this.#idStarts = grow(this.#idStarts, n + 2, words);
    this.#starts[n + 1] = this.#textLen;
    this.#idStarts[n + 1] = this.#idsLen;
    this.#entries = n + 1;
    for (let w = 0; w < SIG; w++) this.#planes[w] = grow(this.#planes[w]!, n + 1, words);
    this.#blocks = grow(this.#blocks, blockWords(n + 1), words);
    this.#sign(n);
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

  /** Drops deleted entries, keeping the others' order. */
  #compact(): void {
    if (this.#dead === 0) return;
    const live = this.count;
    let textLen = 0;
    let idsLen = 0;
    for (let e = 0; e < this.#entries; e++) {
      if (this.#isDead(e)) continue;
      textLen += this.#starts[e + 1]! - this.#starts[e]!;
      idsLen += this.#idStarts[e + 1]! - this.#idStarts[e]!;
    }
    const text = bytes(Math.max(1024, Math.ceil(textLen * 1.25)));
    const ids = bytes(Math.max(1024, Math.ceil(idsLen * 1.25)));
    const starts = words(Math.max(1024, Math.ceil((live + 1) * 1.25)));
    const idStarts = words(starts.length);
    const planes = Array.from({ length: SIG }, () => words(starts.length));
    const blocks = words(blockWords(starts.length));
    let n = 0;
    let to = 0;
    let io = 0;
    for (let e = 0; e < this.#entries; e++) {
      if (this.#isDead(e)) continue;
      to += this.#text.copy(text, to, this.#starts[e]!, this.#starts[e + 1]!);
      io += this.#ids.copy(ids, io, this.#idStarts[e]!, this.#idStarts[e + 1]!);
      for (let w = 0; w < SIG; w++) planes[w]![n] = this.#planes[w]![e]!;
      // The block's signature anew, from the entries it now holds (dropping deleted ones' bits).
      signature(text, starts[n]!, to, this.#sig, 0, blocks, (n >>> BLOCK_SHIFT) * BW);
      n++;
      starts[n] = to;
      idStarts[n] = io;
    }
    this.#text = text;
    this.#ids = ids;
    this.#starts = starts;
    this.#idStarts = idStarts;
    this.#planes = planes;
    this.#blocks = blocks;
    this.#textLen = to;
    this.#idsLen = io;
    this.#entries = n;
    this.#dead = 0;
    this.#rebuildTable();
  }
}
