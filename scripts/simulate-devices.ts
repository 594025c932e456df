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

const USAGE = `usage: npm run simulate -- --url URL (--token opt_… | --policy) [options]
  --url URL            the satellite's device listener (default http://127.0.0.1:8182; the daemon logs
                       "device listener on …" at start)
  --token T            a registration token (outpost token create --va PATH); devices register with it
  --policy             devices under Smart Licensing Using Policy instead: no token, their own keys
  --devices N          how many devices (default 10)
  --interval SECONDS   between rounds of reports (default 60)
  --rounds N           rounds to send, 0 for until stopped (default 0)
  --entitlements a,b   what the devices report using (default network-advantage,dna-advantage)
  --prefix TEXT        serial-number prefix (default SIM)`;

/** The line to print when the arguments are wrong, or null when they are right. */
function argumentError(values: Record<string, string | boolean | undefined>): string | null {
  if (!values.token && !values.policy) return 'name a --token (from "outpost token create") or --policy';
  if (values.token && values.policy) return '--token and --policy do not go together';
  const url = values.url as string;
  if (!/^https?:\/\/[^/\s]+\/?$/.test(url)) return `--url must be the device listener's base URL, e.g. http://127.0.0.1:8182 (got "${url}")`;
  for (const [name, min] of [['devices', 1], ['interval', 0], ['rounds', 0]] as const) {
    const v = values[name] as string;
    if (!/^\d+$/.test(v) || Number(v) < min) return `--${name} must be a whole number${min ? ' from 1' : ''}`;
  }
  return null;
}

async function main(): Promise<number> {
  let values;
  try {
    values = parseArgs({
      options: {
        url: { type: 'string', default: 'http://127.0.0.1:8182' },
        token: { type: 'string' },
        devices: { type: 'string', default: '10' },
        interval: { type: 'string', default: '60' },
        rounds: { type: 'string', default: '0' },
        entitlements: { type: 'string', default: 'network-advantage,dna-advantage' },
        prefix: { type: 'string', default: 'SIM' },
        policy: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    console.error(`simulate: ${(err as Error).message.split('\n')[0]} (see --help)`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const wrong = argumentError(values);
  if (wrong) {
    console.error(`simulate: ${wrong} (see --help)`);
    return 2;
  }
  values.url = values.url!.replace(/\/$/, '');
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
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // A device listener that is down or refuses is one line, not a stack trace.
  process.exitCode = await main().catch((err: Error & { cause?: { code?: string } }) => {
    const refused = /ECONNREFUSED/.test(`${err.cause?.code ?? ''} ${err.message}`);
    console.error(`simulate: ${refused ? 'nothing listens at the --url given (connection refused)' : err.message.split('\n')[0]}`);
    return 1;
  });
}
