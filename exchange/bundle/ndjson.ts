// NDJSON framing for bundle files: one JSON object a line, each line ending in "\n".
// Lines are cut from inflated chunks without holding the file, and a line has a ceiling so
// a file that never breaks its line cannot grow a buffer without bound.

/** Longest line a reader accepts; the largest record (a 500-entry usage report) is ~40 KiB. */
export const MAX_LINE_BYTES = 1024 * 1024;

export function encodeLine(record: unknown): string {
  return JSON.stringify(record) + '\n';
}

/** Cuts a byte stream into lines; pass chunks to `push`, then call `end` for the last line. */
export class LineSplitter {
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  /** Complete lines in `chunk` (without "\n"); throws RangeError when a line exceeds the ceiling. */
  *push(chunk: Buffer): Generator<string> {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      yield this.#take(chunk.subarray(start, nl));
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.#pendingBytes += chunk.length - start;
      if (this.#pendingBytes > MAX_LINE_BYTES) throw new RangeError(`a line longer than ${MAX_LINE_BYTES} bytes`);
      this.#pending.push(chunk.subarray(start));
    }
  }

  /** The last line when the file does not end in "\n", else nothing. */
  *end(): Generator<string> {
    if (this.#pendingBytes > 0) yield this.#take(Buffer.alloc(0));
  }

  #take(tail: Buffer): string {
    if (this.#pendingBytes + tail.length > MAX_LINE_BYTES) {
      throw new RangeError(`a line longer than ${MAX_LINE_BYTES} bytes`);
    }
    const line = this.#pending.length ? Buffer.concat([...this.#pending, tail]).toString('utf8') : tail.toString('utf8');
    this.#pending = [];
    this.#pendingBytes = 0;
    return line;
  }
}
