// Target passwords sealed under secrets.key (SPEC §9), and acknowledgement archives read in memory.
import t from 'tap';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import { openSecretBox, SecretsKeyError } from '../../../daemon/collector/secrets.ts';
import { AckArchiveError, ackDocuments } from '../../../daemon/collector/ack-archive.ts';
import { tempDir } from '../../helpers/tmp.ts';

t.test('the key file is created once, mode 0600, and never replaced', async (t) => {
  const file = path.join(tempDir(t), 'secrets.key');
  t.equal(await openSecretBox(file, { create: false }), null, 'missing and not to be created');
  const box = (await openSecretBox(file, { create: true }))!;
  t.equal((await stat(file)).mode & 0o777, 0o600);
  const key = await readFile(file);
  t.equal(key.length, 32);
  const sealed = box.encrypt('tgt_1', 'hunter2-password');
  t.notOk(sealed.includes('hunter2'));
  t.not(box.encrypt('tgt_1', 'hunter2-password'), sealed, 'a fresh nonce each time');
  const again = (await openSecretBox(file, { create: true }))!;
  t.same(await readFile(file), key, 'not replaced');
  t.equal(again.decrypt('tgt_1', sealed), 'hunter2-password');
  t.throws(() => again.decrypt('tgt_2', sealed), 'the target id is bound as associated data');
  const tampered = sealed.slice(0, -3) + (sealed.endsWith('A') ? 'B' : 'A') + sealed.slice(-2);
  t.throws(() => again.decrypt('tgt_1', tampered), 'tampering is detected');
  t.throws(() => again.decrypt('tgt_1', 'plain'), SecretsKeyError);
  await writeFile(file, 'short');
  await t.rejects(openSecretBox(file, { create: true }), SecretsKeyError, 'a wrong-sized key stops, and is not overwritten');
  t.equal(await readFile(file, 'utf8'), 'short');
});

async function tarGz(files: Record<string, string>): Promise<Buffer> {
  const p = pack();
  for (const [name, text] of Object.entries(files)) p.entry({ name }, text);
  p.finalize();
  const gz = createGzip();
  const chunks: Buffer[] = [];
  gz.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((r) => gz.on('end', r));
  p.pipe(gz);
  await done;
  return Buffer.concat(chunks);
}

t.test('ack archives: one document as is, a .tar.gz of several, bounded in memory', async (t) => {
  t.same(await ackDocuments(Buffer.from('<smartLicense/>'), 1000), [{ name: 'document', text: '<smartLicense/>' }]);
  const archive = await tarGz({ 'a.xml': '<a/>', 'b.xml': '<b/>' });
  t.same(await ackDocuments(archive, 1_000_000), [{ name: 'a.xml', text: '<a/>' }, { name: 'b.xml', text: '<b/>' }]);
  const bomb = await tarGz({ 'big.xml': 'x'.repeat(2_000_000) });
  t.ok(bomb.length < 100_000, 'compresses small');
  await t.rejects(ackDocuments(bomb, 1_000_000), AckArchiveError, 'uncompressed size is bounded');
  await t.rejects(ackDocuments(Buffer.alloc(2000), 1000), AckArchiveError, 'the file itself is bounded');
  await t.rejects(ackDocuments(Buffer.from([0x1f, 0x8b, 1, 2, 3]), 1000), AckArchiveError, 'broken gzip');
});
