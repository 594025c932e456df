// Every refusal of SPEC §5, one crafted bundle each: openBundle must throw the right code
// (and status) with a message naming the check, before handing anything out.
import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { base64url, CompactSign } from 'jose';
import t from 'tap';
import type { Test } from 'tap';
import { BUNDLE_ERROR_CODES, BundleError, jwksOf, openBundle, thumbprint, writeBundle } from '../../../../exchange/bundle/index.ts';
import type { BundleErrorCode, Jwks } from '../../../../exchange/bundle/index.ts';
import { craftZip } from '../fixtures/craft-zip.ts';
import type { CraftEntry } from '../fixtures/craft-zip.ts';
import { entitlement, keyWithJwks, reportManifest, sampleReportFiles, signedCraft, tempDir, unpack, usageRecord, writeTemp } from '../fixtures/bundle.ts';

const { key, jwks } = await keyWithJwks();
const dir = await tempDir(t);
const good = join(dir, 'good.zip');
await writeBundle({ out: good, ...key, manifest: reportManifest(), files: sampleReportFiles(3) });
const goodEntries = await unpack(good);
const goodBytes = await readFile(good);
const REPORT_FILES = sampleReportFiles(0).map((f) => f.name);
let n = 0;

async function refuses(t: Test, data: Buffer | string, code: BundleErrorCode, message: RegExp, opts: { trustedKeys?: Jwks; maxBytes?: number } = {}) {
  const path = await writeTemp(dir, `case-${++n}.zip`, data);
  const err = await openBundle(path, { trustedKeys: opts.trustedKeys ?? jwks, maxBytes: opts.maxBytes }).then(
    () => null,
    (e: unknown) => e,
  );
  t.type(err, BundleError, 'refused with a BundleError');
  t.match(err, { code, status: code === 'BUNDLE_TOO_LARGE' ? 413 : 422, message });
  t.match((err as Error).message, /^[A-Za-z][^\n]*\.$/, 'one human sentence');
}

/** The good bundle's entries, changed by `edit`, re-packed by hand. */
function repack(edit: (entries: CraftEntry[]) => CraftEntry[]): Buffer {
  return craftZip(edit(goodEntries.map((e) => ({ name: e.name, data: e.data }))));
}


t.test('the untouched bundle is accepted (the baseline every case below departs from)', async (t) => {
  t.equal((await openBundle(good, { trustedKeys: jwks })).manifest.kind, 'satellite-report');
  const same = await writeTemp(dir, 'repacked.zip', repack((e) => e));
  t.equal((await openBundle(same, { trustedKeys: jwks })).manifest.kind, 'satellite-report', 'a hand-packed copy too');
});

t.test('the error catalogue: 413 for BUNDLE_TOO_LARGE, 422 for the rest', async (t) => {
  for (const code of BUNDLE_ERROR_CODES) t.equal(new BundleError(code, 'x.').status, code === 'BUNDLE_TOO_LARGE' ? 413 : 422, code);
});

t.test('BUNDLE_NOT_ZIP', async (t) => {
  t.test('a file that is not a zip', (t) => refuses(t, 'just some text, not a zip at all\n', 'BUNDLE_NOT_ZIP', /not a zip/));
  t.test('an empty file', (t) => refuses(t, '', 'BUNDLE_NOT_ZIP', /not a zip/));
  t.test('a truncated zip (cut in half)', async (t) => {
    const bytes = await readFile(good);
    await refuses(t, bytes.subarray(0, bytes.length >> 1), 'BUNDLE_NOT_ZIP', /truncated/);
  });
  t.test('a zip cut just before its end record', async (t) => {
    const bytes = await readFile(good);
    await refuses(t, bytes.subarray(0, bytes.length - 10), 'BUNDLE_NOT_ZIP', /truncated/);
  });
  t.test('a zip whose end record points at garbage', async (t) => {
    const bytes = Buffer.from(await readFile(good));
    bytes.writeUInt32LE(3, bytes.length - 6); // central directory offset → inside the first entry
    await refuses(t, bytes, 'BUNDLE_NOT_ZIP', /damaged central directory|truncated/);
  });
  t.test('an entry whose compressed data is damaged', (t) =>
    refuses(
      t,
      repack((e) => e.map((x) => (x.name === 'manifest.jws' ? { ...x, raw: Buffer.from('\xff\xfe not deflate', 'latin1') } : x))),
      'BUNDLE_NOT_ZIP',
      /"manifest.jws" is damaged or cut short/,
    ));
});

t.test('BUNDLE_ENTRY_INVALID', async (t) => {
  const withEntry = (name: string) => repack((e) => [...e, { name, data: '{}\n' }]);
  for (const [name, why] of [
    ['../x', /contains "\/"|contains "\.\."/],
    ['..', /contains "\.\."/],
    ['/abs', /contains "\/"/],
    ['C:abs', /absolute path/],
    ['a\\b', /contains "\\"/],
    ['.hidden', /starts with a dot/],
    ['sub/usage.ndjson', /contains "\/"/],
    ['nul\u0000.ndjson', /control character/],
  ] as const) {
    t.test(`an entry named ${JSON.stringify(name)}`, (t) => refuses(t, withEntry(name), 'BUNDLE_ENTRY_INVALID', why));
  }
  t.test('a folder entry', (t) => refuses(t, repack((e) => [{ name: 'folder/', data: '' }, ...e]), 'BUNDLE_ENTRY_INVALID', /folder entry/));
  t.test('65 entries', (t) =>
    refuses(t, repack((e) => [...e, ...Array.from({ length: 58 }, (_, i) => ({ name: `x${i}.ndjson`, data: '' }))]), 'BUNDLE_ENTRY_INVALID', /65 entries, more than the 64/));
  t.test('a duplicated entry', (t) =>
    refuses(t, repack((e) => [e[2]!, ...e]), 'BUNDLE_ENTRY_INVALID', /"usage.ndjson" appears more than once/));
  t.test('a duplicated manifest.jws', (t) =>
    refuses(t, repack((e) => [...e, e.at(-1)!]), 'BUNDLE_ENTRY_INVALID', /"manifest.jws" appears more than once/));
  t.test('a data file missing from the zip', (t) =>
    refuses(t, repack((e) => e.filter((x) => x.name !== 'devices.ndjson')), 'BUNDLE_ENTRY_INVALID', /names devices.ndjson, which the zip does not hold/));
  t.test('an extra entry the manifest does not name', (t) =>
    refuses(t, withEntry('notes.txt'), 'BUNDLE_ENTRY_INVALID', /holds "notes.txt", which the manifest does not name/));
  t.test('an extra entry that is a known file of another kind', (t) =>
    refuses(t, withEntry('revocations.ndjson'), 'BUNDLE_ENTRY_INVALID', /holds "revocations.ndjson", which the manifest does not name/));
  t.test('no manifest.jws', (t) =>
    refuses(t, repack((e) => e.filter((x) => x.name !== 'manifest.jws')), 'BUNDLE_ENTRY_INVALID', /no manifest.jws/));
  t.test('a signed manifest naming a file its kind does not carry', async (t) => {
    const bytes = await signedCraft({
      key,
      manifest: { kind: 'registration-response', satellite: 's', account: 'a', sequence: 1, inReplyTo: 0, createdAt: new Date().toISOString(), profile: { name: 'A', domain: 'a', type: 'customer' }, policy: { reportIntervalHours: 24 } },
      files: [
        { name: 'entitlements.ndjson', content: JSON.stringify(entitlement('L1')) + '\n' },
        { name: 'revocations.ndjson', content: '' },
      ],
    });
    await refuses(t, bytes, 'BUNDLE_ENTRY_INVALID', /names revocations.ndjson, which a registration-response bundle does not carry/);
  });
  t.test('a signed report lacking one of its six files', async (t) => {
    const bytes = await signedCraft({
      key,
      manifest: reportManifest(),
      files: REPORT_FILES.filter((f) => f !== 'reservations.ndjson').map((name) => ({ name, content: '' })),
    });
    await refuses(t, bytes, 'BUNDLE_ENTRY_INVALID', /lacks reservations.ndjson, which every satellite-report bundle carries/);
  });
  t.test('a signed manifest naming the same file twice', async (t) => {
    const bytes = await signedCraft({
      key,
      manifest: reportManifest(),
      files: [...REPORT_FILES, 'usage.ndjson'].map((name) => ({ name, content: '' })),
    });
    await refuses(t, bytes, 'BUNDLE_ENTRY_INVALID', /appears more than once|names usage.ndjson twice/);
  });
});

t.test('BUNDLE_TOO_LARGE', async (t) => {
  t.test('declared sizes over maxBytes', (t) => refuses(t, goodBytes, 'BUNDLE_TOO_LARGE', /declares \d+ uncompressed bytes, over the limit of 100/, { maxBytes: 100 }));
  t.test('a zip bomb: manifest.jws whose headers say 300 bytes but inflates to 64 MiB', async (t) => {
    const bomb = Buffer.alloc(64 * 1024 * 1024, 'A');
    const started = process.hrtime.bigint();
    await refuses(t, craftZip([{ name: 'manifest.jws', data: bomb, declaredSize: 300 }]), 'BUNDLE_TOO_LARGE', /manifest.jws inflates to more than/);
    t.ok(Number(process.hrtime.bigint() - started) / 1e6 < 2000, 'stopped early, not after inflating it all');
  });
  t.test('a zip bomb in a data file of a signed bundle whose headers and manifest lie', async (t) => {
    // the signer is trusted yet the sizes lie: only counting while inflating catches it
    const content = Buffer.alloc(32 * 1024 * 1024, '\n');
    const bytes = await signedCraft({
      key,
      manifest: reportManifest(),
      files: REPORT_FILES.map((name) =>
        name === 'usage.ndjson' ? { name, content, declaredSize: 60_000, manifestBytes: 60_000, records: 0 } : { name, content: '' },
      ),
    });
    await refuses(t, bytes, 'BUNDLE_TOO_LARGE', /inflates to more than 65536 bytes \(at usage.ndjson\)/, { maxBytes: 65536 });
  });
  t.test('a manifest declaring files over maxBytes while the zip headers say little', async (t) => {
    const bytes = await signedCraft({
      key,
      manifest: reportManifest(),
      files: REPORT_FILES.map((name) => (name === 'usage.ndjson' ? { name, content: '', declaredSize: 2_000_000_000, manifestBytes: 2_000_000_000 } : { name, content: '' })),
    });
    await refuses(t, bytes, 'BUNDLE_TOO_LARGE', /declares 2000\d+ uncompressed bytes/, { maxBytes: 1_000_000_000 });
  });
});

t.test('BUNDLE_KEY_UNKNOWN', async (t) => {
  const stranger = await keyWithJwks();
  t.test('signed by a key that is not trusted', (t) => refuses(t, goodBytes, 'BUNDLE_KEY_UNKNOWN', /signed by key .+, which is not trusted/, { trustedKeys: stranger.jwks }));
  t.test('a key removed from the JWKS after rotation', async (t) => {
    const both = await jwksOf([key.publicJwk, stranger.key.publicJwk]);
    const path = await writeTemp(dir, 'rotation.zip', goodBytes);
    t.ok(await openBundle(path, { trustedKeys: both }), 'accepted while both keys are trusted');
    await refuses(t, goodBytes, 'BUNDLE_KEY_UNKNOWN', /not trusted/, { trustedKeys: { keys: both.keys.slice(1) } });
  });
  t.test('a JWKS entry carrying the right kid but another key does not count', async (t) => {
    const liar = { ...stranger.key.publicJwk, kid: await thumbprint(key.publicJwk) };
    await refuses(t, goodBytes, 'BUNDLE_KEY_UNKNOWN', /not trusted/, { trustedKeys: { keys: [liar] } });
  });
  t.test('a header without kid', async (t) => {
    const jws = await new CompactSign(Buffer.from('{}')).setProtectedHeader({ alg: 'EdDSA', typ: 'outpost-bundle+jws' }).sign(key.privateKey);
    await refuses(t, repack((e) => e.map((x) => (x.name === 'manifest.jws' ? { ...x, data: jws } : x))), 'BUNDLE_KEY_UNKNOWN', /names no signing key/);
  });
});

t.test('BUNDLE_SIGNATURE_INVALID', async (t) => {
  const manifestJws = goodEntries.at(-1)!.data.toString();
  const withJws = (jws: string) => repack((e) => e.map((x) => (x.name === 'manifest.jws' ? { ...x, data: jws } : x)));
  t.test('a tampered manifest (payload changed, signature kept)', async (t) => {
    const [h, p, s] = manifestJws.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    payload.sequence = 99;
    await refuses(t, withJws([h, base64url.encode(JSON.stringify(payload)), s].join('.')), 'BUNDLE_SIGNATURE_INVALID', /does not verify/);
  });
  t.test('a signature from another key under the trusted kid', async (t) => {
    const stranger = await keyWithJwks();
    const jws = await new CompactSign(Buffer.from(manifestJws.split('.')[1]!, 'base64url'))
      .setProtectedHeader({ alg: 'EdDSA', kid: await thumbprint(key.publicJwk), typ: 'outpost-bundle+jws' })
      .sign(stranger.key.privateKey);
    await refuses(t, withJws(jws), 'BUNDLE_SIGNATURE_INVALID', /does not verify/);
  });
  t.test('the wrong typ', async (t) => {
    const jws = await new CompactSign(Buffer.from('{}')).setProtectedHeader({ alg: 'EdDSA', kid: await thumbprint(key.publicJwk), typ: 'JWT' }).sign(key.privateKey);
    await refuses(t, withJws(jws), 'BUNDLE_SIGNATURE_INVALID', /typ JWT, not outpost-bundle\+jws/);
  });
  t.test('the wrong alg', async (t) => {
    const jws = await new CompactSign(Buffer.from('{}')).setProtectedHeader({ alg: 'HS256', kid: await thumbprint(key.publicJwk), typ: 'outpost-bundle+jws' }).sign(new Uint8Array(32));
    await refuses(t, withJws(jws), 'BUNDLE_SIGNATURE_INVALID', /alg HS256, not EdDSA/);
  });
  t.test('manifest.jws that is not a JWS', (t) => refuses(t, withJws('{"not":"a jws"}'), 'BUNDLE_SIGNATURE_INVALID', /not a compact JWS/));
});

t.test('BUNDLE_HASH_MISMATCH', async (t) => {
  const usage = goodEntries.find((e) => e.name === 'usage.ndjson')!.data;
  t.test('a tampered data file of the same size', async (t) => {
    const changed = Buffer.from(usage.toString().replace('"count":1', '"count":9'));
    t.equal(changed.length, usage.length);
    t.not(changed.toString(), usage.toString());
    await refuses(t, repack((e) => e.map((x) => (x.name === 'usage.ndjson' ? { ...x, data: changed } : x))), 'BUNDLE_HASH_MISMATCH', /SHA-256 of usage.ndjson does not match/);
  });
  t.test('a data file with a record added', async (t) => {
    const longer = Buffer.concat([usage, Buffer.from(JSON.stringify(usageRecord(9)) + '\n')]);
    await refuses(t, repack((e) => e.map((x) => (x.name === 'usage.ndjson' ? { ...x, data: longer } : x))), 'BUNDLE_HASH_MISMATCH', /usage.ndjson is \d+ bytes in the zip, but the manifest says \d+/);
  });
  t.test('a data file whose headers keep the old size but which holds more', async (t) => {
    const longer = Buffer.concat([usage, Buffer.from(JSON.stringify(usageRecord(9)) + '\n')]);
    await refuses(
      t,
      repack((e) => e.map((x) => (x.name === 'usage.ndjson' ? { ...x, data: longer, declaredSize: usage.length } : x))),
      'BUNDLE_HASH_MISMATCH',
      /holds more than the \d+ bytes the manifest declares/,
    );
  });
  t.test('a data file cut short behind headers claiming its old size', async (t) => {
    const shorter = usage.subarray(0, usage.length - 20);
    await refuses(
      t,
      repack((e) => e.map((x) => (x.name === 'usage.ndjson' ? { ...x, data: shorter, declaredSize: usage.length } : x))),
      'BUNDLE_HASH_MISMATCH',
      /usage.ndjson holds \d+ bytes, but the manifest says \d+/,
    );
  });
});

t.test('BUNDLE_RECORD_INVALID', async (t) => {
  const report = (usage: string, records?: number) =>
    signedCraft({ key, manifest: reportManifest(), files: REPORT_FILES.map((name) => ({ name, content: name === 'usage.ndjson' ? usage : '', records: name === 'usage.ndjson' ? records : undefined })) });
  const line = JSON.stringify(usageRecord(1)) + '\n';
  t.test('a line that is not JSON', async (t) => refuses(t, await report(line + '{"reportId": oops\n'), 'BUNDLE_RECORD_INVALID', /line 2 of usage.ndjson is not JSON/));
  t.test('an empty line', async (t) => refuses(t, await report(line + '\n' + line, 2), 'BUNDLE_RECORD_INVALID', /line 2 of usage.ndjson is not JSON/));
  t.test('a record of the wrong shape', async (t) =>
    refuses(t, await report(JSON.stringify({ ...usageRecord(1), usage: [{ entitlement: 'x', count: -1 }] }) + '\n'), 'BUNDLE_RECORD_INVALID', /line 1 of usage.ndjson is not a valid record \(usage.0.count: /));
  t.test('a record of another file', async (t) =>
    refuses(t, await report(JSON.stringify(entitlement('L1')) + '\n'), 'BUNDLE_RECORD_INVALID', /line 1 of usage.ndjson is not a valid record/));
  t.test('a JSON value that is not an object', async (t) => refuses(t, await report('[1,2]\n'), 'BUNDLE_RECORD_INVALID', /not a valid record/));
  t.test('an id with a control character', async (t) =>
    refuses(t, await report(JSON.stringify({ ...usageRecord(1), deviceId: 'dev_\u0000x' }) + '\n'), 'BUNDLE_RECORD_INVALID', /deviceId: must not contain control characters/));
  t.test('an entitlement name with a control character', async (t) =>
    refuses(t, await report(JSON.stringify({ ...usageRecord(1), usage: [{ entitlement: 'a\u001bb', count: 1 }] }) + '\n'), 'BUNDLE_RECORD_INVALID', /usage.0.entitlement: must not contain control characters/));
  t.test('an impossible instant', async (t) =>
    refuses(t, await report(JSON.stringify({ ...usageRecord(1), receivedAt: '2026-11-31T10:00:00.000Z' }) + '\n'), 'BUNDLE_RECORD_INVALID', /receivedAt: expected a real instant/));
  t.test('a quantity beyond 2^53 − 1 (pool sums must stay exact)', async (t) => {
    const big = JSON.stringify({ ...usageRecord(1), usage: [{ entitlement: 'x', count: 1 }] }).replace('"count":1', '"count":9007199254740993');
    await refuses(t, await report(big + '\n'), 'BUNDLE_RECORD_INVALID', /usage.0.count/);
  });
  t.test('a record count that does not match the manifest', async (t) =>
    refuses(t, await report(line + line, 3), 'BUNDLE_RECORD_INVALID', /usage.ndjson holds 2 records, but the manifest says 3/));
  t.test('a line longer than the ceiling', async (t) =>
    refuses(t, await report('"' + 'x'.repeat(1_100_000) + '"\n', 1), 'BUNDLE_RECORD_INVALID', /a line longer than/));
  t.test('a manifest failing its schema', async (t) => {
    const bytes = await signedCraft({ key, manifest: { ...reportManifest(), sequence: -1 }, files: REPORT_FILES.map((name) => ({ name, content: '' })) });
    await refuses(t, bytes, 'BUNDLE_RECORD_INVALID', /manifest is not a valid outpost.bundle\/1 manifest \(sequence: /);
  });
  t.test('a manifest of an unknown format', async (t) => {
    const bytes = await signedCraft({ key, manifest: { ...reportManifest(), format: 'outpost.bundle/2' }, files: REPORT_FILES.map((name) => ({ name, content: '' })) });
    await refuses(t, bytes, 'BUNDLE_RECORD_INVALID', /\(format: /);
  });
  t.test('a manifest that is not JSON', async (t) => {
    const jws = await new CompactSign(Buffer.from('not json')).setProtectedHeader({ alg: 'EdDSA', kid: await thumbprint(key.publicJwk), typ: 'outpost-bundle+jws' }).sign(key.privateKey);
    await refuses(t, repack((e) => e.map((x) => (x.name === 'manifest.jws' ? { ...x, data: jws } : x))), 'BUNDLE_RECORD_INVALID', /manifest is not JSON/);
  });
});

t.test('records() re-checks: a bundle changed on disk after verification throws at the end', async (t) => {
  const path = await writeTemp(dir, 'swap.zip', goodBytes);
  const bundle = await openBundle(path, { trustedKeys: jwks });
  const usage = goodEntries.find((e) => e.name === 'usage.ndjson')!.data;
  const changed = Buffer.from(usage.toString().replace('"count":1', '"count":9'));
  await writeFile(path, repack((e) => e.map((x) => (x.name === 'usage.ndjson' ? { ...x, data: changed } : x))));
  await t.rejects(bundle.readAll('usage.ndjson'), { code: 'BUNDLE_HASH_MISMATCH' });
  await truncate(path, 10);
  await t.rejects(bundle.readAll('usage.ndjson'), { code: 'BUNDLE_NOT_ZIP' });
});

t.test('a refusal releases the file: no descriptors leak', async (t) => {
  const path = await writeTemp(dir, 'leak.zip', craftZip([{ name: 'manifest.jws', data: Buffer.alloc(8 * 1024 * 1024, 'A'), declaredSize: 300 }]));
  const { readdir } = await import('node:fs/promises');
  const before = (await readdir('/proc/self/fd')).length;
  for (let i = 0; i < 50; i++) await openBundle(path, { trustedKeys: jwks }).catch(() => {});
  await new Promise((r) => setTimeout(r, 50));
  const after = (await readdir('/proc/self/fd')).length;
  t.ok(after - before < 5, `open descriptors before ${before}, after ${after}`);
});

