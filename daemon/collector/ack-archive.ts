// `outpost rum import-ack FILE` (SPEC §9): an acknowledgement document, or a .tar.gz of several,
// read in memory within `collector.maxAnswerBytes` (compressed and uncompressed), never touching
// the disk. Each document is then checked by the domain (no DOCTYPE, no entities).
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';

export class AckArchiveError extends Error {
  override readonly name = 'AckArchiveError';
}

const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** The documents in `bytes`: itself when it is not gzip, else every regular file of the tar inside. */
export async function ackDocuments(bytes: Buffer, maxBytes: number): Promise<Array<{ name: string; text: string }>> {
  if (bytes.length > maxBytes) throw new AckArchiveError(`The file is larger than collector.maxAnswerBytes (${maxBytes} bytes).`);
  if (!isGzip(bytes)) return [{ name: 'document', text: bytes.toString('utf8') }];
  const docs: Array<{ name: string; text: string }> = [];
  let total = 0;
  const gunzip = createGunzip();
  const tar = extract();
  const done = new Promise<void>((resolve, reject) => {
    tar.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => {
        const c = chunk as Buffer;
        total += c.length;
        if (total > maxBytes) {
          const e = new AckArchiveError(`The archive unpacks to more than collector.maxAnswerBytes (${maxBytes} bytes).`);
          gunzip.destroy(e);
          tar.destroy(e);
          return;
        }
        chunks.push(c);
      });
      stream.on('end', () => {
        if (header.type === 'file') docs.push({ name: header.name, text: Buffer.concat(chunks).toString('utf8') });
        next();
      });
      stream.on('error', reject);
    });
    tar.on('finish', resolve);
    tar.on('error', reject);
    gunzip.on('error', (e) => reject(e instanceof AckArchiveError ? e : new AckArchiveError(`The file is not a readable .tar.gz: ${e.message}`)));
  });
  gunzip.pipe(tar);
  gunzip.end(bytes);
  await done;
  if (docs.length === 0) throw new AckArchiveError('The archive holds no documents.');
  return docs;
}
