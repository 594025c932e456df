// Types for bloomfilter 1.x (Jason Davies), which ships none: the part Outpost uses.
declare module 'bloomfilter' {
  export class BloomFilter {
    /** `m` bits, `k` hash functions. */
    constructor(m: number, k: number);
    add(value: string): void;
    test(value: string): boolean;
  }
}
