// Shared makings for the bundle tests: keys, temp dirs, sample records, and a way to sign a
// manifest over arbitrary file contents (honest hashes, dishonest anything else).
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Open } from 'unzipper';
import type { Test } from 'tap';
import { generateSigningKey, jwksOf } from '../../../../exchange/bundle/index.ts';
import type { Jwks, SigningKey } from '../../../../exchange/bundle/index.ts';
import { signManifest } from '../../../../exchange/bundle/signature.ts';
import { craftZip } from './craft-zip.ts';
import type { CraftEntry } from './craft-zip.ts';

export const NOW = '2026-11-28T10:00:00.000Z';

export async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'outpost-bundle-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function keyWithJwks(): Promise<{ key: SigningKey; jwks: Jwks }> {
  const key = generateSigningKey();
  return { key, jwks: await jwksOf([key.publicJwk]) };
}

export function reportManifest(sequence = 1) {
  return {
    kind: 'satellite-report' as const,
    satellite: 'sat_1',
    account: 'acc_1',
    sequence,
    inReplyTo: null,
    createdAt: NOW,
  };
}

export function usageRecord(i: number) {
  return {
    reportId: randomUUID(),
    deviceId: `dev_${i}`,
    virtualAccount: 'Default/Eng',
    window: { start: '2026-11-27T00:00:00.000Z', end: '2026-11-28T00:00:00.000Z' },
    usage: [{ entitlement: 'network-advantage', count: i % 7 }],
    receivedAt: NOW,
  };
}

export function sampleReportFiles(usageCount = 3) {
  return [
    {
      name: 'virtual-accounts.ndjson' as const,
      records: [
        { id: 'va_default', path: 'Default', parentId: null, tags: {} },
        { id: 'va_eng', path: 'Default/Eng', parentId: 'va_default', tags: { site: 'lab' } },
      ],
    },
    {
      name: 'devices.ndjson' as const,
      records: [
        {
          deviceId: 'dev_1',
          udi: { pid: 'C9300-24P', sn: 'FOC1234X0AB' },
          hostname: 'sw-1',
          virtualAccount: 'Default/Eng',
          state: 'registered',
          via: 'token',
          at: NOW,
        },
      ],
    },
    { name: 'usage.ndjson' as const, records: Array.from({ length: usageCount }, (_, i) => usageRecord(i)) },
    { name: 'transfers.ndjson' as const, records: [] },
    { name: 'reservations.ndjson' as const, records: [] },
  ];
}

export function entitlement(lineId: string, quantity = 10) {
  return {
    lineId,
    sku: 'C9300-NA-24',
    entitlement: 'network-advantage',
    description: 'Network Advantage, 24 ports',
    quantity,
    type: 'term' as const,
    startsAt: '2026-01-01T00:00:00.000Z',
    endsAt: '2027-01-01T00:00:00.000Z',
    virtualAccount: null,
  };
}

/**
 * Crafts a bundle whose manifest is signed by `key` and states the true size, hash and line
 * count of each given content — the way to make a bundle that is validly signed yet bad inside.
 */
export async function signedCraft(opts: {
  key: SigningKey;
  manifest: Record<string, unknown>;
  files: Array<{ name: string; content: string | Buffer; declaredSize?: number; manifestBytes?: number; records?: number }>;
  extra?: CraftEntry[];
}): Promise<Buffer> {
  const files = opts.files.map((f) => {
    const content = Buffer.from(f.content);
    const lines = content.toString('utf8').split('\n').filter((l) => l !== '').length;
    return {
      name: f.name,
      sha256: createHash('sha256').update(content).digest('hex'),
      bytes: f.manifestBytes ?? content.length,
      records: f.records ?? lines,
    };
  });
  const jws = await signManifest(
    { format: 'outpost.bundle/1', ...opts.manifest, files },
    opts.key.privateKey,
    opts.key.publicJwk,
  );
  return craftZip([
    ...opts.files.map((f) => ({ name: f.name, data: f.content, declaredSize: f.declaredSize })),
    { name: 'manifest.jws', data: jws },
    ...(opts.extra ?? []),
  ]);
}

/** A bundle's entries as name → bytes, in zip order, to re-pack with changes. */
export async function unpack(path: string): Promise<Array<{ name: string; data: Buffer }>> {
  const dir = await Open.buffer(await readFile(path));
  return Promise.all(dir.files.map(async (f) => ({ name: f.path, data: await f.buffer() })));
}

export async function writeTemp(dir: string, name: string, data: Buffer | string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, data);
  return path;
}
