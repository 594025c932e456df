// An in-memory implementation of the store port, for unit tests of domain code.
import type { BatchOp, Range, Store } from './port.ts';

export class MemoryStore implements Store {
  #data = new Map<string, string>();
  #open = false;

  async open(): Promise<void> {
    this.#open = true;
  }
  async close(): Promise<void> {
    this.#open = false;
  }
  #check(): void {
    if (!this.#open) throw new Error('store is not open');
  }
  async get<T>(key: string): Promise<T | undefined> {
    return this.getSync<T>(key);
  }
  getSync<T>(key: string): T | undefined {
    this.#check();
    const v = this.#data.get(key);
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }
  async batch(ops: BatchOp[], _opts?: { sync?: boolean }): Promise<void> {
    this.#check();
    const encoded = ops.map((op) => (op.type === 'put' ? { ...op, json: JSON.stringify(op.value) } : op));
    for (const op of encoded) {
      if (op.type === 'put') this.#data.set(op.key, (op as { json: string }).json);
      else this.#data.delete(op.key);
    }
  }
  async *chunks<T>(range: Range, size: number, first = size): AsyncIterable<Array<[string, T]>> {
    let chunk: Array<[string, T]> = [];
    let want = first;
    for await (const entry of this.iterate<T>(range)) {
      chunk.push(entry);
      if (chunk.length >= want) {
        yield chunk;
        chunk = [];
        want = size;
      }
    }
    if (chunk.length > 0) yield chunk;
  }

  async *iterate<T>(range: Range): AsyncIterable<[string, T]> {
    this.#check();
    const keys = [...this.#data.keys()]
      .filter(
        (k) =>
          (range.gt === undefined || k > range.gt) &&
          (range.gte === undefined || k >= range.gte) &&
          (range.lt === undefined || k < range.lt) &&
          (range.lte === undefined || k <= range.lte),
      )
      .sort();
    if (range.reverse) keys.reverse();
    const snapshot = keys.slice(0, range.limit ?? keys.length).map((k) => [k, this.#data.get(k)!] as const);
    for (const [k, v] of snapshot) yield [k, (range.values === false ? undefined : JSON.parse(v)) as T];
  }
}
