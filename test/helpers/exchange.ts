// The cloud's side of the exchange for satellite tests: a signing key whose JWKS the satellite
// trusts, responses crafted and signed with it, bundles sent through the control socket, and a
// dump of the whole store to prove a refused bundle changed nothing.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { generateSigningKey, jwksOf, writeBundle } from '../../exchange/bundle/index.ts';
import type { EntitlementRecord, RevocationRecord, SigningKey } from '../../exchange/bundle/index.ts';
import { keys, type Store } from '../../daemon/store/index.ts';

export const PROFILE = { name: 'Acme Corp', domain: 'acme.example', type: 'customer' as const };
export const POLICY = { reportIntervalHours: 12 };
export const ACCOUNT = 'acc_acme';

export function line(lineId: string, quantity = 10, over: Partial<EntitlementRecord> = {}): EntitlementRecord {
  return {
    lineId,
    sku: 'C9300-NA-24',
    entitlement: 'network-advantage',
    description: 'Network Advantage, 24 ports',
    quantity,
    type: 'term',
    startsAt: '2026-01-01T00:00:00.000Z',
    endsAt: '2029-01-01T00:00:00.000Z',
    virtualAccount: null,
    ...over,
  };
}

/** A stand-in cloud: its key, the JWKS file satellites trust, and the responses it signs. */
export class FakeCloud {
  readonly key: SigningKey;
  readonly jwksPath: string;
  #n = 0;

  constructor(
    readonly dir: string,
    key?: SigningKey,
  ) {
    this.key = key ?? generateSigningKey();
    this.jwksPath = path.join(dir, 'cloud-keys.json');
  }

  /** Writes the JWKS file trusting `keys` (default: this cloud's key). */
  async trust(keys: SigningKey[] = [this.key]): Promise<string> {
    await writeFile(this.jwksPath, JSON.stringify(await jwksOf(keys.map((k) => k.publicJwk))));
    return this.jwksPath;
  }

  async registrationResponse(satellite: string, opts: { sequence: number; createdAt: string; lines?: EntitlementRecord[]; account?: string; profile?: typeof PROFILE; key?: SigningKey }): Promise<string> {
    const out = path.join(this.dir, `registration-response-${++this.#n}.zip`);
    await writeBundle({
      out,
      ...(opts.key ?? this.key),
      manifest: {
        kind: 'registration-response',
        satellite,
        account: opts.account ?? ACCOUNT,
        sequence: opts.sequence,
        inReplyTo: 0,
        createdAt: opts.createdAt,
        profile: opts.profile ?? PROFILE,
        policy: POLICY,
      },
      files: [{ name: 'entitlements.ndjson', records: opts.lines ?? [line('L1')] }],
    });
    return out;
  }

  async cloudResponse(
    satellite: string,
    opts: {
      sequence: number;
      inReplyTo: number;
      createdAt: string;
      lines?: EntitlementRecord[];
      revocations?: RevocationRecord[];
      account?: string;
      profile?: typeof PROFILE;
      key?: SigningKey;
    },
  ): Promise<string> {
    const out = path.join(this.dir, `cloud-response-${++this.#n}.zip`);
    await writeBundle({
      out,
      ...(opts.key ?? this.key),
      manifest: {
        kind: 'cloud-response',
        satellite,
        account: opts.account ?? ACCOUNT,
        sequence: opts.sequence,
        inReplyTo: opts.inReplyTo,
        createdAt: opts.createdAt,
        policy: POLICY,
        ...(opts.profile ? { profile: opts.profile } : {}),
      },
      files: [
        { name: 'entitlements.ndjson', records: opts.lines ?? [line('L1')] },
        ...(opts.revocations ? [{ name: 'revocations.ndjson' as const, records: opts.revocations }] : []),
      ],
    });
    return out;
  }
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json(): any;
}

/** One request through the control socket with a raw body (a bundle) or JSON. */
export async function socketCall(socketPath: string, method: string, urlPath: string, body?: { zip?: Buffer; json?: unknown; type?: string }): Promise<RawAnswer> {
  const agent = new Agent({ connect: { socketPath } });
  try {
    const data = body?.zip ?? (body?.json === undefined ? undefined : JSON.stringify(body.json));
    const type = body?.type ?? (body?.zip ? 'application/zip' : 'application/json');
    const res = await request(`http://localhost${urlPath}`, {
      method: method as 'GET',
      dispatcher: agent,
      headers: data === undefined ? {} : { 'content-type': type },
      body: data,
    });
    const buf = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers, body: buf, json: () => JSON.parse(buf.toString()) };
  } finally {
    await agent.close();
  }
}

export async function importBundle(socketPath: string, file: string): Promise<RawAnswer> {
  return socketCall(socketPath, 'POST', '/api/sync/import', { zip: await readFile(file) });
}

/** POST /api/sync/export, saved to `out`. */
export async function exportBundle(socketPath: string, out: string): Promise<RawAnswer & { sequence: number; records: number; more: boolean }> {
  const res = await socketCall(socketPath, 'POST', '/api/sync/export');
  if (res.status === 200) await writeFile(out, res.body);
  return {
    ...res,
    sequence: Number(res.headers['x-outpost-sequence']),
    records: Number(res.headers['x-outpost-records']),
    more: res.headers['x-outpost-more'] === 'true',
  };
}

/**
 * What jobs write on the clock alone, whatever requests come: the hourly usage sample for the
 * charts, the once-a-minute high-water mark of time and alert comparison (the standing set, its
 * `alert.*` events by `system`, and the event sequence they advance). Left out of store dumps, so
 * a dump that spans a minute or an hour still compares equal; any other event still shows.
 */
export const clockDriven = (key: string, value?: unknown): boolean =>
  key.startsWith(keys.usageSamplePrefix) ||
  key === keys.clockMark ||
  key === keys.standingAlerts ||
  key === keys.seq('event') ||
  (key.startsWith('evt!') &&
    typeof value === 'object' &&
    value !== null &&
    (value as { actor?: unknown }).actor === 'system' &&
    String((value as { type?: unknown }).type).startsWith('alert.'));

/** Every key and value of the store, as one comparable array. */
export async function storeDump(store: Store): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for await (const [k, v] of store.iterate({})) if (!clockDriven(k, v)) out.push([k, JSON.stringify(v)]);
  return out;
}

const openssl = (...args: string[]) => promisify(execFile)('openssl', args);

/** A throwaway CA and a certificate it signs for IP 127.0.0.1 (and a second, untrusted, self-signed one). */
export async function makeCertificates(dir: string) {
  const f = (name: string) => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await openssl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=Outpost Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  await openssl('req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1');
  await writeFile(f('server.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  await openssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '2', '-extfile', f('server.ext'));
  return { ca: f('ca.crt'), cert: f('server.crt'), key: f('server.key') };
}

export const CLOUD_TOKEN = 'reg-token-acme-0123456789';
export const CLOUD_ADMIN = 'admin-token-0123456789';

/** The reference cloud in-process on 127.0.0.1 (HTTPS when `tls` is given), closed when the test ends. */
export async function startReferenceCloud(t: import('tap').Test, dir: string, over: Record<string, unknown> = {}) {
  const { parseCloudConfig, startCloudServer } = await import('../../exchange/cloud/index.ts');
  const { pino } = await import('pino');
  const config = parseCloudConfig(
    {
      listen: '127.0.0.1:0',
      dataDir: './cloud-data',
      adminToken: CLOUD_ADMIN,
      accounts: [
        { id: ACCOUNT, profile: PROFILE, policy: POLICY, tokens: [CLOUD_TOKEN], lines: [line('L1', 50), line('L2', 5, { virtualAccount: 'Default/Eng' })] },
      ],
      ...over,
    },
    dir,
  );
  const running = await startCloudServer({ config, log: pino({ level: 'silent' }) });
  t.teardown(() => running.close(100));
  return running;
}

/** The entitlement lines the license workspace holds, as the cloud sent them (where they landed left out). */
export function linesHeld(sat: { services: { licensing: { book: { state: { lines: readonly EntitlementRecord[] } } } } }): EntitlementRecord[] {
  return sat.services.licensing.book.state.lines.map(({ lineId, sku, entitlement, description, quantity, type, startsAt, endsAt, virtualAccount }) => ({
    lineId,
    sku,
    entitlement,
    description,
    quantity,
    type,
    startsAt,
    endsAt,
    virtualAccount,
  }));
}
