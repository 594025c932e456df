// A dashboard-like client of the admin listener: keeps the session cookie, sends the page's
// Origin on state-changing requests, and sets up users through the control socket.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { control } from './control.ts';
import { clockDriven } from './exchange.ts';
import { http, type Answer, type TestSatellite } from './satellite.ts';

export const PASSWORD = 'correct horse battery staple';

export class AdminClient {
  cookie: string | null = null;
  /** The Origin header sent on state-changing requests (null: none). */
  origin: string | null;
  readonly base: string;

  constructor(base: string) {
    this.base = base;
    this.origin = base;
  }

  async call<T = any>(method: string, url: string, body?: unknown, opts: { headers?: Record<string, string>; raw?: string; type?: string } = {}): Promise<Answer<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (this.cookie && !('cookie' in headers)) headers.cookie = this.cookie;
    if (this.origin && method !== 'GET' && !('origin' in headers)) headers.origin = this.origin;
    const res = await http<T>(method, this.base + url, { body, headers, raw: opts.raw, type: opts.type });
    const set = res.headers['set-cookie'];
    for (const c of Array.isArray(set) ? set : set ? [set] : []) {
      const m = /^outpost_session=([^;]*)/.exec(c);
      if (m) this.cookie = m[1] ? `outpost_session=${m[1]}` : null;
    }
    return res;
  }

  async login(username: string, password: string): Promise<Answer> {
    return this.call('POST', '/api/login', { username, password });
  }
}

export function initialPassword(sat: TestSatellite): string {
  return readFileSync(path.join(sat.dataDir, 'initial-admin-password'), 'utf8').trim();
}

/** The initial admin, logged in, its password changed to PASSWORD. */
export async function adminClient(sat: TestSatellite): Promise<AdminClient> {
  const c = new AdminClient(sat.admin);
  // Once admin changed that password the file is gone (issue 14): log in with the new one.
  const first = existsSync(path.join(sat.dataDir, 'initial-admin-password')) ? initialPassword(sat) : PASSWORD;
  let res = await c.login('admin', first);
  if (res.status === 401 && first !== PASSWORD) res = await c.login('admin', PASSWORD); // changed already
  if (res.status !== 200) throw new Error(`admin login answered ${res.status}: ${JSON.stringify(res.body)}`);
  if (res.body.mustChangePassword) {
    const changed = await c.call('POST', `/api/users/${res.body.id}/password`, { currentPassword: first, newPassword: PASSWORD });
    if (changed.status !== 200) throw new Error(`password change answered ${changed.status}: ${JSON.stringify(changed.body)}`);
  }
  return c;
}

export interface Grant {
  role: string;
  virtualAccountId?: string | null;
}

/** Creates a user through the control socket; answers its JSON. */
export async function createUser(sat: TestSatellite, username: string, roles: Grant[], password = 'temporary password 1'): Promise<any> {
  const res = await control(sat.socketPath, 'POST', '/api/users', { username, password, roles });
  if (res.status !== 201) throw new Error(`user create answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A user created through the socket, logged in, its own password set to PASSWORD. */
export async function userClient(sat: TestSatellite, username: string, roles: Grant[]): Promise<{ client: AdminClient; user: any }> {
  const user = await createUser(sat, username, roles);
  const client = new AdminClient(sat.admin);
  const res = await client.login(username, 'temporary password 1');
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${JSON.stringify(res.body)}`);
  const changed = await client.call('POST', `/api/users/${user.id}/password`, { currentPassword: 'temporary password 1', newPassword: PASSWORD });
  if (changed.status !== 200) throw new Error(`password change answered ${changed.status}: ${JSON.stringify(changed.body)}`);
  return { client, user };
}

/** Creates a VA through the control socket; answers its JSON. */
export async function createVa(sat: TestSatellite, name: string, parentId: string | null = null, tags: Record<string, string> = {}): Promise<any> {
  const res = await control(sat.socketPath, 'POST', '/api/virtual-accounts', { name, parentId, tags });
  if (res.status !== 201) throw new Error(`VA create answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Every key and value in the store but what jobs write on the clock alone, for before/after comparisons. */
export async function storeDump(sat: TestSatellite): Promise<Array<[string, unknown]>> {
  const out: Array<[string, unknown]> = [];
  for await (const entry of sat.ctx.store.iterate({})) if (!clockDriven(entry[0], entry[1])) out.push(entry);
  return out;
}
