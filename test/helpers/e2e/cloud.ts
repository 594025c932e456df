// A stand-in for the license cloud's side of SPEC §5, enough for the dashboard's tests: a signing
// key whose JWKS the satellite trusts (exchange.cloudKeys), and signed bundles built by the book
// (zip of manifest.jws + NDJSON files, each named with its size, SHA-256 and record count).
import { createHash, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { calculateJwkThumbprint, CompactSign, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import type { Line } from '../../../daemon/domain/licenses/core/types.ts';

export type { Line };

export interface CloudKey {
  privateKey: CryptoKey;
  kid: string;
  jwks: { keys: JWK[] };
}

export async function cloudKey(): Promise<CloudKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { privateKey, kid, jwks: { keys: [{ ...jwk, kid, alg: 'EdDSA', use: 'sig' }] } };
}

/** Writes the JWKS file the satellite's `exchange.cloudKeys` names. */
export async function writeJwks(dir: string, key: CloudKey): Promise<string> {
  const file = path.join(dir, 'cloud-keys.json');
  await writeFile(file, JSON.stringify(key.jwks));
  return file;
}

export function line(entitlement: string, quantity: number, opts: Partial<Line> = {}): Line {
  return {
    lineId: `line-${randomUUID()}`,
    sku: `SKU-${entitlement.toUpperCase()}`,
    entitlement,
    description: `${entitlement} licenses`,
    quantity,
    type: 'term',
    startsAt: '2026-01-01T00:00:00.000Z',
    endsAt: '2027-12-31T00:00:00.000Z',
    virtualAccount: null,
    ...opts,
  };
}

const ndjson = (records: object[]) => Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join(''));

/** A signed bundle: `manifest` without `format` and `files`, which are filled in here. */
export async function bundle(key: CloudKey, manifest: Record<string, unknown>, files: Record<string, object[]>): Promise<Buffer> {
  const data = Object.entries(files).map(([name, records]) => ({ name, body: ndjson(records), records: records.length }));
  const full = {
    format: 'outpost.bundle/1',
    ...manifest,
    files: data.map((f) => ({ name: f.name, sha256: createHash('sha256').update(f.body).digest('hex'), bytes: f.body.length, records: f.records })),
  };
  const jws = await new CompactSign(Buffer.from(JSON.stringify(full)))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'outpost-bundle+jws' })
    .sign(key.privateKey);
  return zip([...data.map((f) => ({ name: f.name, body: f.body })), { name: 'manifest.jws', body: Buffer.from(jws) }]);
}

export function registrationResponse(key: CloudKey, o: { satellite: string; account?: string; sequence?: number; createdAt: string; lines: Line[] }): Promise<Buffer> {
  return bundle(
    key,
    {
      kind: 'registration-response',
      satellite: o.satellite,
      account: o.account ?? 'acct-e2e',
      sequence: o.sequence ?? 1,
      inReplyTo: 0,
      createdAt: o.createdAt,
      profile: { name: 'Example Corp', domain: 'example.com', type: 'customer' },
      policy: { reportIntervalHours: 24 },
    },
    { 'entitlements.ndjson': o.lines },
  );
}

export function cloudResponse(key: CloudKey, o: { satellite: string; account?: string; sequence: number; inReplyTo: number; createdAt: string; lines: Line[] }): Promise<Buffer> {
  return bundle(
    key,
    {
      kind: 'cloud-response',
      satellite: o.satellite,
      account: o.account ?? 'acct-e2e',
      sequence: o.sequence,
      inReplyTo: o.inReplyTo,
      createdAt: o.createdAt,
      policy: { reportIntervalHours: 24 },
    },
    { 'entitlements.ndjson': o.lines },
  );
}

// archiver 8 ships no types (the exchange code declares the part it uses); the tests reach it untyped.
const ARCHIVER = 'archiver';

async function zip(entries: Array<{ name: string; body: Buffer }>): Promise<Buffer> {
  const { ZipArchive } = (await import(ARCHIVER)) as { ZipArchive: new (o: object) => any };
  const archive = new ZipArchive({ zlib: { level: 6 } });
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    out.on('end', resolve);
    archive.on('error', reject);
  });
  archive.pipe(out);
  for (const e of entries) archive.append(e.body, { name: e.name, date: new Date('2026-01-01T00:00:00Z') });
  await archive.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/** The manifest of a bundle the satellite wrote (its signature is the satellite's business). */
export async function readManifest(zipBytes: Buffer): Promise<Record<string, any>> {
  const unzipper = (await import('unzipper')) as typeof import('unzipper');
  const dir = await unzipper.Open.buffer(zipBytes);
  const entry = dir.files.find((f) => f.path === 'manifest.jws');
  if (!entry) throw new Error(`no manifest.jws in the bundle (entries: ${dir.files.map((f) => f.path).join(', ')})`);
  const jws = (await entry.buffer()).toString();
  return JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()) as Record<string, any>;
}
