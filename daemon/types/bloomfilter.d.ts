// Types for bloomfilter 1.x (Jason Davies), which ships none: the part Outpost uses.
declare module 'bloomfilter' {
  export class BloomFilter {
    /** `m` bits (or the buckets of a saved filter), `k` hash functions. */
    constructor(m: number | ArrayLike<number>, k: number);
    readonly buckets: Uint32Array;
    add(value: string): void;
    test(value: string): boolean;
  }
}
