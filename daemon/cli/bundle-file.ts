// Bundle files on the command line's side: the daemon streams a bundle through the socket and
// this process writes it where --out says (beside it first, then renamed into place), so the
// daemon never writes to a path a client names (SPEC §2).
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CliError } from './output.ts';

/** Writes `body` to `out`; answers the absolute path written. */
export async function saveBundle(body: Readable, out: string): Promise<string> {
  const file = path.resolve(out);
  const partial = `${file}.${randomBytes(4).toString('hex')}.partial`;
  try {
    await pipeline(body, createWriteStream(partial, { flags: 'wx', mode: 0o600 }));
    await rename(partial, file);
  } catch (err) {
    body.destroy();
    await rm(partial, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError('INVALID_REQUEST', `cannot write ${file}${code ? ` (${code})` : `: ${(err as Error).message}`}`);
  }
  return file;
}

export function requireOut(values: Record<string, unknown>, usage: string): string {
  if (typeof values.out !== 'string' || values.out === '') throw new CliError('INVALID_REQUEST', usage);
  return values.out;
}
