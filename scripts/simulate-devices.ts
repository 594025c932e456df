// Simulated product instances: N devices register with a token and report usage on an interval.
//   npm run simulate -- --url http://127.0.0.1:8182 --token opt_… --devices 20 --interval 60
// Used by the demo and the benchmarks; prints one line per round.
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { parseArgs } from 'node:util';
import { request } from 'undici';

export interface SimDevice {
  sn: string;
  deviceId: string;
  credential: string;
}

/** A device under Smart Licensing Using Policy: no registration, its own Ed25519 key. */
export interface PolicySimDevice {
  udi: { pid: string; sn: string };
  hostname: string;
  privateKey: KeyObject;
  /** base64url of the compact JWS protected header carrying the public key. */
  header: string;
}

export function policyDevices(n: number, prefix = 'POL', pid = 'C9200L-24T'): PolicySimDevice[] {
  return Array.from({ length: n }, (_, i) => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const jwk = publicKey.export({ format: 'jwk' });
    const sn = `${prefix}${String(i).padStart(6, '0')}`;
    return {
      udi: { pid, sn },
      hostname: `pol-${sn.toLowerCase()}`,
      privateKey,
      header: Buffer.from(JSON.stringify({ alg: 'EdDSA', jwk })).toString('base64url'),
    };
  });
}

/** The compact JWS a policy device sends to POST /v1/usage. */
export function signedUsage(d: PolicySimDevice, payload: object): string {
  const body = Buffer.from(JSON.stringify({ udi: d.udi, hostname: d.hostname, ...payload })).toString('base64url');
  const signature = sign(null, Buffer.from(`${d.header}.${body}`), d.privateKey).toString('base64url');
  return `${d.header}.${body}.${signature}`;
}

export async function reportPolicy(url: string, devices: PolicySimDevice[], entitlements: string[]) {
  const counts: Record<number, number> = {};
  await Promise.all(
    devices.map(async (d, i) => {
      const res = await request(`${url}/v1/usage`, {
        method: 'POST',
        headers: { 'content-type': 'application/jose' },
        body: signedUsage(d, usageReport(i, entitlements)),
      });
      await res.body.text();
      counts[res.statusCode] = (counts[res.statusCode] ?? 0) + 1;
    }),
  );
  return counts;
}

export interface SimOptions {
  url: string;
  token: string;
  devices: number;
  pid?: string;
  prefix?: string;
  entitlements?: string[];
}

async function post(url: string, body: unknown, credential?: string) {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(credential ? { authorization: `Bearer ${credential}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : null };
}

/** Registers `devices` devices (force: re-running the simulator takes the same UDIs over). */
export async function registerAll(o: SimOptions): Promise<SimDevice[]> {
  const out: SimDevice[] = [];
  const pid = o.pid ?? 'C9300-24P';
  for (let i = 0; i < o.devices; i++) {
    const sn = `${o.prefix ?? 'SIM'}${String(i).padStart(6, '0')}`;
    const res = await post(`${o.url}/v1/register`, { token: o.token, udi: { pid, sn }, hostname: `sim-${sn.toLowerCase()}`, force: true });
    if (res.status !== 201 && res.status !== 200) throw new Error(`register ${sn}: ${res.status} ${JSON.stringify(res.body)}`);
    out.push({ sn, deviceId: res.body.deviceId, credential: res.body.credential });
  }
  return out;
}

/** A plausible usage report for device `i`, ending now. */
export function usageReport(i: number, entitlements: string[], now = new Date()) {
  return {
    reportId: randomUUID(),
    window: { start: new Date(now.getTime() - 3_600_000).toISOString(), end: now.toISOString() },
    usage: entitlements.map((entitlement, k) => ({ entitlement, count: ((i + k) % 5) + 1 })),
  };
}

export async function reportAll(url: string, devices: SimDevice[], entitlements: string[]) {
  const counts: Record<number, number> = {};
  await Promise.all(
    devices.map(async (d, i) => {
      const res = await post(`${url}/v1/reports`, usageReport(i, entitlements), d.credential);
      counts[res.status] = (counts[res.status] ?? 0) + 1;
    }),
  );
  return counts;
}

async function main() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:8182' },
      token: { type: 'string' },
      devices: { type: 'string', default: '10' },
      interval: { type: 'string', default: '60' },
      rounds: { type: 'string', default: '0' },
      entitlements: { type: 'string', default: 'network-advantage,dna-advantage' },
      prefix: { type: 'string', default: 'SIM' },
      policy: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.token && !values.policy) {
    console.error(
      'usage: npm run simulate -- (--token opt_… | --policy) [--url URL] [--devices N] [--interval SECONDS] [--rounds N] [--entitlements a,b]',
    );
    process.exit(2);
  }
  const entitlements = values.entitlements!.split(',').filter(Boolean);
  const n = Number(values.devices);
  let send: () => Promise<Record<number, number>>;
  if (values.policy) {
    const devices = policyDevices(n, values.prefix === 'SIM' ? 'POL' : values.prefix);
    console.log(`${devices.length} policy-mode devices (own Ed25519 keys) reporting to ${values.url}/v1/usage`);
    send = () => reportPolicy(values.url!, devices, entitlements);
  } else {
    const devices = await registerAll({ url: values.url!, token: values.token!, devices: n, prefix: values.prefix! });
    console.log(`registered ${devices.length} devices at ${values.url}`);
    send = () => reportAll(values.url!, devices, entitlements);
  }
  const rounds = Number(values.rounds);
  for (let round = 1; rounds === 0 || round <= rounds; round++) {
    const counts = await send();
    console.log(`round ${round}: ${JSON.stringify(counts)}`);
    if (rounds !== 0 && round === rounds) break;
    await new Promise((r) => setTimeout(r, Number(values.interval) * 1000));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
