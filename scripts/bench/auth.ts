// `npm run bench -- auth [--seconds N] [--logins N]`: what authentication costs per request.
// Through real HTTP on loopback, GET /api/me with an API token (Authorization: Bearer), with a
// session cookie, and a bare koa endpoint as the baseline, measured in the same run with autocannon
// (10 connections). Then login latency: a directory user against a local slapd (search + bind,
// StartTLS off) beside a local user (scrypt), one login at a time.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import { request } from 'undici';
import { loadConfig } from '../../daemon/config/index.ts';
import { hashPassword } from '../../daemon/domain/access/passwords.ts';
import { createLogger } from '../../daemon/log.ts';
import { openSatellite } from '../../daemon/main.ts';
import { keys } from '../../daemon/store/index.ts';
import { fmt, load, median } from './lib.ts';

const PASSWORD = 'bench password 1';

export default async function bench(args: string[]): Promise<void> {
  const arg = (name: string, d: number) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : d;
  };
  const seconds = arg('seconds', 5);
  const logins = arg('logins', 100);
  const cleanups: Array<() => Promise<void> | void> = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'op-bench-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  try {
    let ldap: Record<string, unknown> | null = null;
    if (existsSync('/usr/sbin/slapd')) {
      // The tests' slapd harness, given a minimal stand-in for tap's teardown.
      const { startSlapd, SERVICE_DN, PEOPLE, group } = await import('../../test/helpers/ldap.ts');
      const fakeT = { teardown: (fn: () => Promise<void>) => void cleanups.unshift(fn) } as unknown as import('tap').Test;
      const slapd = await startSlapd(fakeT);
      ldap = { url: slapd.url, bindDn: SERVICE_DN, bindPasswordFile: slapd.bindPasswordFile, userBase: PEOPLE, roleMap: [{ group: group('licensing'), role: 'sa-user' }] };
    } else {
      console.log('(no /usr/sbin/slapd: the directory login case is left out)\n');
    }
    const config = loadConfig({
      env: {},
      overrides: { dataDir: path.join(dir, 'data'), 'device.listen': '127.0.0.1:0', 'admin.listen': '127.0.0.1:0', 'log.level': 'silent', ...(ldap ? { 'auth.ldap': ldap } : {}) },
    });
    const sat = await openSatellite(config, { log: createLogger('silent') });
    cleanups.unshift(() => sat.close());
    const { state } = sat.ctx;
    const hash = await hashPassword(PASSWORD);
    const admin = [...state.users.values()].find((u) => u.username === 'admin')!;
    const ready = { ...admin, passwordHash: hash, mustChangePassword: false };
    await sat.ctx.writer.run((tx) => {
      tx.put(keys.user(admin.id), ready);
      tx.after(() => state.putUser(ready));
    });
    const base = sat.listeners.admin!;
    const login = async (username: string, password: string) => {
      const res = await request(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: base }, body: JSON.stringify({ username, password }) });
      await res.body.text();
      if (res.statusCode !== 200) throw new Error(`login ${username}: ${res.statusCode}`);
      return String(res.headers['set-cookie']).split(';')[0]!;
    };
    const cookie = await login('admin', PASSWORD);
    const made = await request(`${base}/api/api-tokens`, { method: 'POST', headers: { 'content-type': 'application/json', origin: base, cookie }, body: JSON.stringify({ name: 'bench', roles: [{ role: 'sa-admin' }], expiresInDays: 1 }) });
    const token = ((await made.body.json()) as { token: string }).token;

    const app = new Koa();
    app.use((ctx) => {
      ctx.body = { id: 'usr_x', username: 'admin', roles: [], mustChangePassword: false };
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    cleanups.unshift(() => new Promise<void>((r) => server.close(() => r())));
    const bare = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/me`;

    console.log(`GET /api/me, ${seconds} s each, twice in turns, 10 connections (the machine is shared: compare within this run)\n`);
    const cases: Array<[string, string, Record<string, string>]> = [
      ['bare koa endpoint (baseline)', bare, {}],
      ['cookie session', `${base}/api/me`, { cookie }],
      ['API token (Bearer)', `${base}/api/me`, { authorization: `Bearer ${token}` }],
    ];
    // Two rounds, the cases taking turns, so a busy moment of the shared machine hits them alike.
    const runs: Array<Array<Awaited<ReturnType<typeof load>>>> = cases.map(() => []);
    for (let round = 0; round < 2; round++) {
      for (const [c, [, url, headers]] of cases.entries()) runs[c]!.push(await load({ url, headers, connections: 10, duration: seconds }));
    }
    const results: Array<[string, Awaited<ReturnType<typeof load>>]> = cases.map(([name], c) => {
      const rs = runs[c]!;
      return [name, { rps: rs.reduce((a, r) => a + r.rps, 0) / rs.length, p99: Math.max(...rs.map((r) => r.p99)), non2xx: rs.reduce((a, r) => a + r.non2xx, 0), errors: rs.reduce((a, r) => a + r.errors, 0) }];
    });
    const session = results[1]![1].rps;
    const baseline = results[0]![1].rps;
    for (const [name, r] of results) {
      console.log(`${name.padEnd(30)} ${fmt(r.rps).padStart(8)} req/s  p99 ${fmt(r.p99, 1)} ms  time per request ×${fmt(baseline / r.rps, 2)} bare koa's, ×${fmt(session / r.rps, 2)} the session's${r.non2xx || r.errors ? `  (${r.non2xx} non-2xx, ${r.errors} errors)` : ''}`);
    }
    await sat.services.apiTokens.flushLastUsed();

    console.log(`\nlogin latency, ${logins} logins one at a time (medians)`);
    const time = async (fn: () => Promise<unknown>) => {
      const xs: number[] = [];
      for (let k = 0; k < 5; k++) await fn();
      for (let k = 0; k < logins; k++) {
        const t0 = performance.now();
        await fn();
        xs.push(performance.now() - t0);
      }
      return median(xs);
    };
    const local = await time(() => login('admin', PASSWORD));
    console.log(`${'local user (scrypt)'.padEnd(30)} ${fmt(local, 2)} ms`);
    if (ldap) {
      const dirMs = await time(() => login('alice', 'alice-directory-pw'));
      console.log(`${'directory user (slapd)'.padEnd(30)} ${fmt(dirMs, 2)} ms  ×${fmt(dirMs / local, 2)} of the local login`);
    }
  } finally {
    for (const fn of cleanups) await fn();
  }
}
