import { createWriteStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import t from 'tap';
import { expectKind, openBundle, thumbprint, writeBundle } from '../../../../exchange/bundle/index.ts';
import type { FileName } from '../../../../exchange/bundle/index.ts';
import { entitlement, keyWithJwks, NOW, reportManifest, sampleReportFiles, tempDir, unpack, usageRecord } from '../fixtures/bundle.ts';

t.test('a satellite report round-trips: writeBundle then openBundle gives back every record', async (t) => {
  const dir = await tempDir(t);
  const { key, jwks } = await keyWithJwks();
  const out = join(dir, 'report.zip');
  const files = sampleReportFiles(5);
  const written = await writeBundle({ out, ...key, manifest: reportManifest(7), files });
  t.equal(written.more, false);
  t.equal(written.manifest.more, undefined, 'no "more" key when nothing was left over');

  const bundle = await openBundle(out, { trustedKeys: jwks });
  t.same(bundle.manifest, written.manifest);
  t.equal(bundle.manifest.kind, 'satellite-report');
  t.equal(bundle.manifest.sequence, 7);
  t.same(
    bundle.manifest.files.map((f) => [f.name, f.records]),
    files.map((f) => [f.name, f.records.length]),
    'all six files, empty ones included, in the order given',
  );
  for (const f of files) t.same(await bundle.readAll(f.name), f.records, `${f.name} reads back`);

  const streamed = [];
  for await (const r of bundle.records('usage.ndjson')) streamed.push(r.reportId);
  t.same(streamed, files[2]!.records.map((r) => (r as { reportId: string }).reportId), 'records() streams in order');
  t.same(await bundle.readAll('revocations.ndjson' as FileName), [], 'a file the manifest does not name reads as empty');
});

t.test('manifest.jws is the last entry, with the exact header SPEC §5 fixes', async (t) => {
  const dir = await tempDir(t);
  const { key } = await keyWithJwks();
  const out = join(dir, 'report.zip');
  await writeBundle({ out, ...key, manifest: reportManifest(), files: sampleReportFiles() });
  const entries = await unpack(out);
  t.same(entries.map((e) => e.name), [
    'virtual-accounts.ndjson',
    'devices.ndjson',
    'usage.ndjson',
    'transfers.ndjson',
    'reservations.ndjson',
    'rum.ndjson',
    'manifest.jws',
  ]);
  const jws = entries.at(-1)!.data.toString();
  t.same(decodeProtectedHeader(jws), { alg: 'EdDSA', kid: await thumbprint(key.publicJwk), typ: 'outpost-bundle+jws' });
  t.equal(JSON.stringify(decodeProtectedHeader(jws)), JSON.stringify({ alg: 'EdDSA', kid: await thumbprint(key.publicJwk), typ: 'outpost-bundle+jws' }));
  t.same(await readdir(dir), ['report.zip'], 'no partial file is left beside it');
});

t.test('each cloud kind round-trips with its extra manifest fields', async (t) => {
  const dir = await tempDir(t);
  const { key, jwks } = await keyWithJwks();
  const satellite = await keyWithJwks();
  const cases = [
    {
      manifest: {
        kind: 'registration-request' as const,
        satellite: 'sat_1',
        account: null,
        sequence: 0 as const,
        inReplyTo: null,
        createdAt: NOW,
        token: 'tok-secret',
        name: 'outpost-lab',
        publicKey: satellite.key.publicJwk,
      },
      files: [],
    },
    {
      manifest: {
        kind: 'registration-response' as const,
        satellite: 'sat_1',
        account: 'acc_1',
        sequence: 1,
        inReplyTo: 0 as const,
        createdAt: NOW,
        profile: { name: 'Acme', domain: 'acme.example', type: 'customer' as const },
        policy: { reportIntervalHours: 24 },
      },
      files: [{ name: 'entitlements.ndjson' as const, records: [entitlement('L1'), entitlement('L2', 5)] }],
    },
    {
      manifest: {
        kind: 'cloud-response' as const,
        satellite: 'sat_1',
        account: 'acc_1',
        sequence: 2,
        inReplyTo: 1,
        createdAt: NOW,
        policy: { reportIntervalHours: 12 },
      },
      files: [
        { name: 'entitlements.ndjson' as const, records: [entitlement('L1')] },
        { name: 'revocations.ndjson' as const, records: [{ deviceId: 'dev_9', reason: 'stolen' }] },
      ],
    },
  ];
  for (const c of cases) {
    const out = join(dir, `${c.manifest.kind}.zip`);
    const { manifest } = await writeBundle({ out, ...key, manifest: c.manifest, files: c.files });
    const bundle = await openBundle(out, { trustedKeys: jwks });
    t.same(bundle.manifest, manifest, `${c.manifest.kind} manifest`);
    t.match(bundle.manifest, c.manifest);
    for (const f of c.files) t.same(await bundle.readAll(f.name), f.records, `${c.manifest.kind} ${f.name}`);
  }
});

t.test('writeBundle streams into a given writable and ends it', async (t) => {
  const dir = await tempDir(t);
  const { key, jwks } = await keyWithJwks();
  const out = join(dir, 'stream.zip');
  const stream = createWriteStream(out);
  const closed = new Promise<void>((resolve) => stream.on('close', () => resolve()));
  await writeBundle({ out: stream, ...key, manifest: reportManifest(), files: sampleReportFiles() });
  await closed;
  t.equal((await openBundle(out, { trustedKeys: jwks })).manifest.sequence, 1);
});

t.test('maxBytes: a record that would pass the cap stays out, its file stops, later files still written, more:true', async (t) => {
  const dir = await tempDir(t);
  const { key, jwks } = await keyWithJwks();
  const files = sampleReportFiles(100);
  const line = (r: object) => Buffer.byteLength(JSON.stringify(r) + '\n');
  const vaBytes = files[0]!.records.reduce((n, r) => n + line(r), 0);
  const devBytes = files[1]!.records.reduce((n, r) => n + line(r), 0);
  const usageLine = line(files[2]!.records[0]!);
  const maxBytes = vaBytes + devBytes + usageLine * 10 + 5; // room for ten usage records, not eleven
  let closed = false;
  async function* usage() {
    try {
      for (const r of files[2]!.records) yield r;
    } finally {
      closed = true;
    }
  }
  const out = join(dir, 'capped.zip');
  const written = await writeBundle({
    out,
    ...key,
    manifest: reportManifest(),
    files: files.map((f) => (f.name === 'usage.ndjson' ? { name: f.name, records: usage() } : f)),
    maxBytes,
  });
  t.equal(written.more, true);
  t.equal(written.manifest.more, true);
  t.ok(closed, "the usage file's iterator was closed when it stopped");
  const bundle = await openBundle(out, { trustedKeys: jwks });
  t.equal(expectKind(bundle.manifest, ['satellite-report']).more, true, 'the signed manifest says more');
  const usageEntry = bundle.manifest.files.find((f) => f.name === 'usage.ndjson')!;
  t.equal(usageEntry.records, 10);
  t.ok(bundle.manifest.files.reduce((n, f) => n + f.bytes, 0) <= maxBytes, 'data files stay within the cap');
  t.same(bundle.manifest.files.map((f) => f.name).length, 6, 'all six files are present');
  t.same(await bundle.readAll('usage.ndjson'), files[2]!.records.slice(0, 10), 'oldest first');
});

t.test('maxBytes: files after a cut still take what fits; with maxBytes 0 every file is empty', async (t) => {
  const dir = await tempDir(t);
  const { key, jwks } = await keyWithJwks();
  const big = { ...usageRecord(1), usage: Array.from({ length: 400 }, (_, i) => ({ entitlement: `e${i}`, count: 1 })) };
  const out = join(dir, 'a.zip');
  const files = sampleReportFiles(0);
  files[2] = { name: 'usage.ndjson', records: [big, usageRecord(2)] };
  files[3] = { name: 'transfers.ndjson', records: [{ transferId: 't1', entitlement: 'network-advantage', quantity: 2, from: 'Default', to: 'Default/Eng', at: NOW, by: 'admin' }] } as never;
  const { manifest } = await writeBundle({ out, ...key, manifest: reportManifest(), files, maxBytes: 2000 });
  t.equal(manifest.more, true);
  t.same(manifest.files.map((f) => f.records), [2, 1, 0, 1, 0, 0], 'usage stopped at the big record; transfers still written');

  const empty = join(dir, 'b.zip');
  const res = await writeBundle({ out: empty, ...key, manifest: reportManifest(2), files: sampleReportFiles(), maxBytes: 0 });
  t.equal(res.more, true);
  const bundle = await openBundle(empty, { trustedKeys: jwks });
  t.same(bundle.manifest.files.map((f) => [f.bytes, f.records]), Array(6).fill([0, 0]));
});

t.test('writeBundle refuses, as a programmer error, what would make a bad bundle', async (t) => {
  const dir = await tempDir(t);
  const { key } = await keyWithJwks();
  const other = await keyWithJwks();
  const out = join(dir, 'x.zip');
  const write = (over: object) => writeBundle({ out, ...key, manifest: reportManifest(), files: sampleReportFiles(), ...over });
  for (const name of ['../x', '/abs', 'a\\b', '.hidden', 'dir/x', 'manifest.jws']) {
    const files = [...sampleReportFiles(), { name, records: [] }];
    await t.rejects(write({ files }), TypeError, `file name ${name}`);
  }
  await t.rejects(write({ files: sampleReportFiles().slice(1) }), { name: 'TypeError', message: /must carry virtual-accounts/ });
  await t.rejects(write({ files: [...sampleReportFiles(), sampleReportFiles()[0]] }), { message: /given twice/ });
  await t.rejects(write({ publicJwk: other.key.publicJwk }), { message: /not the public half/ });
  await t.rejects(write({ manifest: { ...reportManifest(), sequence: 0 } }), { message: /manifest is not valid: sequence/ });
  await t.rejects(
    write({ files: [{ name: 'usage.ndjson', records: [{ reportId: 'nope' }] }, ...sampleReportFiles().filter((f) => f.name !== 'usage.ndjson')] }),
    { message: /usage.ndjson record 1 is not valid/ },
  );
  await t.rejects(
    writeBundle({
      out,
      ...key,
      manifest: { kind: 'cloud-response', satellite: 's', account: 'a', sequence: 1, inReplyTo: 1, createdAt: NOW, policy: { reportIntervalHours: 1 } },
      files: [{ name: 'entitlements.ndjson', records: [entitlement('L1')] }],
      maxBytes: 10,
    }),
    { message: /cannot be cut short/ },
  );
  t.same(await readdir(dir), [], 'no file, partial or whole, is left behind');
});

t.test('a failing record source aborts the write and leaves no file', async (t) => {
  const dir = await tempDir(t);
  const { key } = await keyWithJwks();
  async function* failing() {
    yield usageRecord(1);
    throw new Error('database went away');
  }
  const files = sampleReportFiles().map((f) => (f.name === 'usage.ndjson' ? { name: f.name, records: failing() } : f));
  await t.rejects(writeBundle({ out: join(dir, 'x.zip'), ...key, manifest: reportManifest(), files }), { message: 'database went away' });
  t.same(await readdir(dir), []);
});

t.test('a data file is NDJSON: one JSON object a line, each line ending in a newline', async (t) => {
  const dir = await tempDir(t);
  const { key } = await keyWithJwks();
  const out = join(dir, 'r.zip');
  await writeBundle({ out, ...key, manifest: reportManifest(), files: sampleReportFiles(2) });
  const usage = (await unpack(out)).find((e) => e.name === 'usage.ndjson')!.data.toString();
  t.ok(usage.endsWith('\n'));
  t.equal(usage.split('\n').length, 3);
  t.ok((await readFile(out)).subarray(0, 4).equals(Buffer.from('PK\x03\x04')), 'a zip file');
});

t.test('files given as arrays of records: the same bundle, and a cap that falls inside an array', async (t) => {
  const dir = await tempDir(t);
  const { key, jwks } = await keyWithJwks();
  const usage = Array.from({ length: 25 }, (_, i) => usageRecord(i));
  let closed = false;
  async function* arrays() {
    try {
      for (let i = 0; i < usage.length; i += 10) yield usage.slice(i, i + 10);
    } finally {
      closed = true;
    }
  }
  const files = sampleReportFiles(0).map((f) => (f.name === 'usage.ndjson' ? { name: f.name, chunks: arrays() } : f));
  const whole = await writeBundle({ out: join(dir, 'whole.zip'), ...key, manifest: reportManifest(), files });
  t.equal(whole.more, false);
  t.same(await (await openBundle(join(dir, 'whole.zip'), { trustedKeys: jwks })).readAll('usage.ndjson'), usage);

  const line = Buffer.byteLength(JSON.stringify(usage[0]) + '\n');
  const capped = sampleReportFiles(0).map((f) => (f.name === 'usage.ndjson' ? { name: f.name, chunks: arrays() } : f));
  closed = false;
  const cut = await writeBundle({ out: join(dir, 'cut.zip'), ...key, manifest: reportManifest(2), files: capped, maxBytes: line * 13 + 5 });
  t.equal(cut.more, true);
  const n = cut.manifest.files.find((f) => f.name === 'usage.ndjson')!.records;
  t.ok(n >= 11 && n <= 13, `${n} records fit, the cut inside the second array`);
  t.same(await (await openBundle(join(dir, 'cut.zip'), { trustedKeys: jwks })).readAll('usage.ndjson'), usage.slice(0, n), 'the first n, in order');
  t.ok(closed, 'the arrays iterator was closed');
  await t.rejects(
    writeBundle({ out: join(dir, 'bad.zip'), ...key, manifest: reportManifest(), files: [{ name: 'usage.ndjson', records: [], chunks: arrays() } as never] }),
    TypeError,
  );
});
