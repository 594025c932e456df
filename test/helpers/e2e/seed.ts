// Data for the dashboard to show, made through the satellite's own APIs (control socket, device
// API) and signed cloud bundles — never written into the store behind the daemon's back.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import { Agent, request } from 'undici';
import { postReport, registerDevice, report } from '../devices.ts';
import type { Backend } from './backend.ts';
import { cloudResponse, line, registrationResponse, type CloudKey, type Line } from './cloud.ts';

/** A control-socket call with a raw body and a raw answer (bundles are zip files). */
export async function rawSocket(backend: Backend, method: string, path: string, body?: Buffer | string, type = 'application/json') {
  const agent = new Agent({ connect: { socketPath: backend.sat.socketPath } });
  try {
    const res = await request(`http://localhost${path}`, {
      method: method as 'POST',
      dispatcher: agent,
      headers: body === undefined ? {} : { 'content-type': type },
      body,
    });
    return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
  } finally {
    await agent.close();
  }
}

async function ok<T = any>(backend: Backend, method: string, path: string, body?: unknown): Promise<T> {
  const r = await backend.socket<T>(method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** The entitlements the e2e satellite holds. */
export const LINES: Line[] = [
  line('network-advantage', 40, { virtualAccount: 'Default' }),
  line('dna-advantage', 10, { virtualAccount: 'Default' }),
  line('security-essentials', 8, { virtualAccount: 'Default', endsAt: '2027-01-15T00:00:00.000Z' }), // within 90 days of the test clock: expiring
  line('wireless-premier', 5, { virtualAccount: 'Default/Eng' }),
];

export async function satelliteId(backend: Backend): Promise<string> {
  return (await ok<{ satellite: { id: string } }>(backend, 'GET', '/api/status')).satellite.id;
}

/** Registers the satellite as an air-gapped one would: request file out, signed response in. */
export async function registerOffline(backend: Backend, key: CloudKey, lines = LINES): Promise<void> {
  const req = await rawSocket(backend, 'POST', '/api/registration', JSON.stringify({ token: 'cloud-satellite-token', offline: true }));
  if (req.status !== 200 && req.status !== 201) throw new Error(`registration request answered ${req.status}: ${req.body}`);
  const response = await registrationResponse(key, { satellite: await satelliteId(backend), createdAt: backend.sat.clock().toISOString(), lines });
  const imported = await rawSocket(backend, 'POST', '/api/sync/import', response, 'application/zip');
  if (imported.status !== 200) throw new Error(`registration response import answered ${imported.status}: ${imported.body}`);
}

/** Exports a report and answers it as the cloud would; returns the cloud sequence used. */
export async function syncOffline(backend: Backend, key: CloudKey, cloudSequence: number, lines = LINES): Promise<void> {
  const exp = await rawSocket(backend, 'POST', '/api/sync/export', '{}');
  if (exp.status !== 200) throw new Error(`export answered ${exp.status}`);
  const { readManifest } = await import('./cloud.ts');
  const manifest = await readManifest(exp.body);
  const response = await cloudResponse(key, { satellite: manifest.satellite, sequence: cloudSequence, inReplyTo: manifest.sequence, createdAt: backend.sat.clock().toISOString(), lines });
  const imported = await rawSocket(backend, 'POST', '/api/sync/import', response, 'application/zip');
  if (imported.status !== 200) throw new Error(`cloud response import answered ${imported.status}: ${imported.body}`);
}

export interface Workspace {
  defaultId: string;
  eng: { id: string; path: string };
  lab: { id: string; path: string };
  ops: { id: string; path: string };
}

/** Default/Eng/Lab and Ops, with a tag key and a tag. */
export async function seedVirtualAccounts(backend: Backend): Promise<Workspace> {
  const list = await ok<{ items: Array<{ id: string; path: string }> }>(backend, 'GET', '/api/virtual-accounts');
  const defaultId = list.items.find((v) => v.path === 'Default')!.id;
  const eng = await ok(backend, 'POST', '/api/virtual-accounts', { name: 'Eng', parentId: defaultId });
  const lab = await ok(backend, 'POST', '/api/virtual-accounts', { name: 'Lab', parentId: eng.id });
  const ops = await ok(backend, 'POST', '/api/virtual-accounts', { name: 'Ops', parentId: null });
  await ok(backend, 'POST', '/api/tags', { key: 'site' });
  await ok(backend, 'PATCH', `/api/virtual-accounts/${eng.id}`, { tags: { site: 'Berlin' } });
  return { defaultId, eng, lab, ops };
}

/** Registers `count` devices into `va` (a path) and has each report `usage`. */
export async function seedDevices(
  backend: Backend,
  opts: { count: number; va?: string; prefix?: string; usage?: Array<{ entitlement: string; count: number }>; pid?: string },
): Promise<Array<{ deviceId: string; credential: string; sn: string }>> {
  const token = await ok<{ token: string }>(backend, 'POST', '/api/tokens', { virtualAccountId: opts.va ?? 'Default', description: `seed ${opts.prefix ?? 'dev'}`, validDays: 30 });
  const out: Array<{ deviceId: string; credential: string; sn: string }> = [];
  const queue = Array.from({ length: opts.count }, (_, i) => i);
  const worker = async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      const sn = `${opts.prefix ?? 'FOC'}${String(i).padStart(5, '0')}`;
      const reg = await registerDevice(backend.sat.device, token.token, sn, opts.pid ? { udi: { pid: opts.pid, sn } } : {});
      if (reg.status !== 201) throw new Error(`register ${sn} answered ${reg.status}`);
      const usage = opts.usage ?? [{ entitlement: 'network-advantage', count: 1 }];
      const rep = await postReport(backend.sat.device, reg.body.credential, report(backend.sat.clock(), usage, randomUUID()));
      if (rep.status !== 202) throw new Error(`report of ${sn} answered ${rep.status}`);
      out.push({ deviceId: reg.body.deviceId, credential: reg.body.credential, sn });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return out;
}

/** A device's SLR request code (SPEC §8): base64url of {"udi","nonce","jwk"}. */
export async function requestCode(udi: { pid: string; sn: string }): Promise<string> {
  const { publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(publicKey);
  return Buffer.from(JSON.stringify({ udi, nonce: randomUUID(), jwk })).toString('base64url');
}

/** A user made by the admin (so they must choose their own password at first login). */
export async function addUser(backend: Backend, username: string, password: string, roles: Array<{ role: string; virtualAccountId?: string }>): Promise<void> {
  await ok(backend, 'POST', '/api/users', { username, password, roles });
}
