// `npm run bench -- access [--requests N]`: the access model at size. Builds 1,011 VAs (4 levels)
// and 1,000 users in a temporary satellite, then times, through real HTTP on loopback,
// GET /api/virtual-accounts and /api/users (a full page of 1,000, as sa-admin and as a VA admin)
// and a request whose work is a permission check, plus the check itself in process — each
// against a bare koa endpoint measured in the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import { request } from 'undici';
import { loadConfig } from '../../daemon/config/index.ts';
import { createAccess, type Principal } from '../../daemon/domain/access/roles.ts';
import { newId } from '../../daemon/domain/satellite/ids.ts';
import { hashPassword } from '../../daemon/domain/access/passwords.ts';
import type { Role, RoleGrant, UserRecord, VirtualAccount } from '../../daemon/domain/satellite/records.ts';
import { createLogger } from '../../daemon/log.ts';
import { openSatellite } from '../../daemon/main.ts';
import { keys } from '../../daemon/store/index.ts';

const PASSWORD = 'bench password 1';

export default async function bench(args: string[]): Promise<void> {
  const i = args.indexOf('--requests');
  const requests = i >= 0 ? Number(args[i + 1]) : 200;
  if (!Number.isInteger(requests) || requests < 10) throw new Error('--requests must be a whole number ≥ 10');

  const dir = mkdtempSync(path.join(os.tmpdir(), 'op-bench-'));
  const config = loadConfig({ env: {}, overrides: { dataDir: path.join(dir, 'data'), 'device.listen': '127.0.0.1:0', 'admin.listen': '127.0.0.1:0', 'log.level': 'silent' } });
  const sat = await openSatellite(config, { log: createLogger('silent') });
  const bare = await bareKoa();
  try {
    const { state } = sat.ctx;
    const now = new Date().toISOString();

    // 1 + 10 + 100 + 900 VAs, written in one batch (setup, not measured).
    const vas: VirtualAccount[] = [];
    const add = (name: string, parentId: string) => {
      const va: VirtualAccount = { id: newId('va'), name, parentId, tags: {}, createdAt: now };
      vas.push(va);
      return va;
    };
    const level2 = Array.from({ length: 10 }, (_, a) => add(`Region ${a}`, state.defaultVa.id));
    const level3 = level2.flatMap((p, a) => Array.from({ length: 10 }, (_, b) => add(`Site ${a}.${b}`, p.id)));
    const level4 = level3.flatMap((p, a) => Array.from({ length: 9 }, (_, b) => add(`Lab ${a}.${b}`, p.id)));
    // 1,000 users (one shared hash: hashing is not what is measured); every fifth has an account role.
    const hash = await hashPassword(PASSWORD);
    const all = [state.defaultVa, ...vas];
    const roles: Role[] = ['va-admin', 'va-user', 'viewer', 'va-user', 'va-admin'];
    const accountRoles: Role[] = ['sa-user', 'viewer', 'sa-approver'];
    const users: UserRecord[] = [];
    for (let n = 0; n < 999; n++) {
      const grants: RoleGrant[] = n % 5 === 4 ? [{ role: accountRoles[n % 3]!, vaId: null }] : [{ role: roles[n % 5]!, vaId: all[(n * 7) % all.length]!.id }];
      users.push({ id: newId('usr'), username: `user${String(n).padStart(4, '0')}`, roles: grants, passwordHash: hash, mustChangePassword: false, createdAt: now });
    }
    const regionAdmin: UserRecord = { id: newId('usr'), username: 'region-admin', roles: [{ role: 'va-admin', vaId: level2[3]!.id }], passwordHash: hash, mustChangePassword: false, createdAt: now };
    users.push(regionAdmin);
    await sat.ctx.writer.run((tx) => {
      for (const va of vas) tx.put(keys.va(va.id), va);
      for (const u of users) {
        tx.put(keys.user(u.id), u);
        tx.put(keys.username(u.username.toLowerCase()), u.id);
      }
      const admin = [...state.users.values()].find((u) => u.username === 'admin')!;
      const ready = { ...admin, passwordHash: hash, mustChangePassword: false };
      tx.put(keys.user(admin.id), ready);
      tx.after(() => {
        for (const va of vas) state.putVa(va);
        for (const u of users) state.putUser(u);
        state.putUser(ready);
      });
    });
    console.log(`satellite with ${state.vas.size} virtual accounts (4 levels) and ${state.users.size} users; ${requests} requests per case\n`);

    const admin = await login(sat.listeners.admin!, 'admin');
    const scoped = await login(sat.listeners.admin!, 'region-admin');
    const deep = level4[3 * 90 + 17]!; // below Region 3
    const base = sat.listeners.admin!;

    const rows = await timeRoundRobin(requests, [
      ['bare koa endpoint (baseline)', () => get(bare.url, null)],
      ['GET /api/virtual-accounts?limit=1000, sa-admin', () => get(`${base}/api/virtual-accounts?limit=1000`, admin)],
      ['GET /api/virtual-accounts?limit=1000, va-admin', () => get(`${base}/api/virtual-accounts?limit=1000`, scoped)],
      ['GET /api/virtual-accounts (default page)', () => get(`${base}/api/virtual-accounts`, admin)],
      ['GET /api/users?limit=1000, sa-admin', () => get(`${base}/api/users?limit=1000`, admin)],
      ['GET /api/users?limit=1000, va-admin', () => get(`${base}/api/users?limit=1000`, scoped)],
      ['GET /api/virtual-accounts/:id (a check), va-admin', () => get(`${base}/api/virtual-accounts/${deep.id}`, scoped)],
    ]);

    // The check alone, in process: require() on a VA four levels down.
    const access = createAccess(state);
    const p: Principal = { kind: 'user', user: regionAdmin };
    const checks = 10_000;
    const inProcess: number[] = [];
    for (let r = 0; r < 21; r++) {
      const t0 = performance.now();
      for (let k = 0; k < checks; k++) access.require(p, 'license.write', deep.id);
      inProcess.push((performance.now() - t0) / checks);
    }

    const baseline = median(rows[0]![1]);
    console.log('case'.padEnd(52) + 'median ms'.padStart(11) + 'p95 ms'.padStart(9) + '  vs baseline');
    for (const [name, samples] of rows) {
      const m = median(samples);
      console.log(name.padEnd(52) + m.toFixed(3).padStart(11) + pct(samples, 0.95).toFixed(3).padStart(9) + `  ${(m / baseline).toFixed(1)}×`);
    }
    console.log('access.require() in process'.padEnd(52) + median(inProcess).toFixed(5).padStart(11) + ' ms each (median of 21 × 10,000)');
  } finally {
    await new Promise((r) => bare.server.close(r));
    await sat.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function bareKoa() {
  const app = new Koa();
  app.use((ctx) => {
    ctx.body = { items: [], next: null };
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

async function login(base: string, username: string): Promise<string> {
  const res = await request(`${base}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  await res.body.text();
  if (res.statusCode !== 200) throw new Error(`login ${username}: ${res.statusCode}`);
  return String(res.headers['set-cookie']).split(';')[0]!;
}

async function get(url: string, cookie: string | null): Promise<void> {
  const res = await request(url, { headers: cookie ? { cookie } : {} });
  await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode}`);
}

/**
 * Per-request wall time in ms, one request at a time, the cases taking turns (so the baseline
 * sees the same machine as the rest), after a warm-up.
 */
async function timeRoundRobin(n: number, cases: Array<[string, () => Promise<void>]>): Promise<Array<[string, number[]]>> {
  for (const [, fn] of cases) for (let k = 0; k < 50; k++) await fn();
  const out: Array<[string, number[]]> = cases.map(([name]) => [name, []]);
  for (let k = 0; k < n; k++) {
    for (let c = 0; c < cases.length; c++) {
      const t0 = performance.now();
      await cases[c]![1]();
      out[c]![1].push(performance.now() - t0);
    }
  }
  return out;
}

const median = (xs: number[]) => pct(xs, 0.5);
function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}
