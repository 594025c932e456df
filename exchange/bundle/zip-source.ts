// Random access to a zip file for unzipper's central-directory reader. Every stream handed
// out is tracked so that `close()` releases its file descriptor: unzipper leaves a stream
// paused, not closed, when its reader stops early (as a refusal does).
import { createReadStream } from 'node:fs';
import type { ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Open } from 'unzipper';
import type { CentralDirectory } from 'unzipper';

export interface ZipSource {
  directory(): Promise<CentralDirectory>;
  close(): void;
}

export function openZipSource(path: string): ZipSource {
  const streams = new Set<ReadStream>();
  const source = {
    size: async () => (await stat(path)).size,
    stream: (offset: number, length?: number) => {
      // fs `end` is inclusive; unzipper passes a length, or none for "to the end".
      const s = createReadStream(path, { start: offset, end: length ? offset + length - 1 : undefined });
      streams.add(s);
      s.once('close', () => streams.delete(s));
      return s;
    },
  };
  return {
    directory: () => Open.custom(source as Parameters<typeof Open.custom>[0]),
    close: () => {
      for (const s of streams) s.destroy();
      streams.clear();
    },
  };
}
