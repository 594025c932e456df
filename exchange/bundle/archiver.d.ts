// archiver 8 ships no types and @types/archiver describes the old `archiver('zip')` API;
// this declares the part of the class API (`new ZipArchive(...)`) the bundle and XLSX writers use.
declare module 'archiver' {
  import type { Readable, Transform } from 'node:stream';
  import type { ZlibOptions } from 'node:zlib';

  export interface EntryData {
    name: string;
    date?: Date | string;
    mode?: number;
  }

  export interface ZipOptions {
    zlib?: ZlibOptions;
    store?: boolean;
    forceZip64?: boolean;
    /** Bytes of the archive's output buffered before it waits for its reader (1 MiB by default). */
    highWaterMark?: number;
  }

  export class Archiver extends Transform {
    append(source: Readable | Buffer | string, data: EntryData): this;
    finalize(): Promise<void>;
    abort(): this;
    pointer(): number;
  }

  export class ZipArchive extends Archiver {
    constructor(options?: ZipOptions);
  }
}
