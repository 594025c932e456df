// Takes a request body to a file, never into memory, refusing it past a byte limit.
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CloudError } from './errors.ts';

export async function receiveToFile(req: IncomingMessage, path: string, maxBytes: number): Promise<void> {
  const tooLarge = () => new CloudError('PAYLOAD_TOO_LARGE', `The bundle is larger than the ${maxBytes} bytes this cloud takes.`);
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) throw tooLarge();
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done(bytes > maxBytes ? tooLarge() : null, chunk);
    },
  });
  try {
    await pipeline(req, limit, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
}
