// A real satellite on loopback for the browser, logged into through POST /api/login. Where the
// daemon lacks an endpoint a suite needs, the suite is skipped with a loud banner naming it;
// under CI=true it fails instead, naming it (a deleted feature must never leave CI green).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Test } from 'tap';
import { Agent, request } from 'undici';
import { control } from '../control.ts';
import { startSatellite, type TestClock, type TestSatellite } from '../satellite.ts';
import { loud } from './browser.ts';

/** The suite's name for a banner: its file at the top level. */
const suiteName = (t: Test): string => (t.name === 'TAP' ? path.relative(process.cwd(), process.argv[1] ?? '') : t.fullname);

/** The admin's password once the harness has changed the one-time one. */
export const ADMIN_PASSWORD = 'correct horse battery staple';

export interface Backend {
  sat: TestSatellite;
  /** The dashboard's address (the admin listener). */
  url: string;
  initialPassword: string;
  /** An admin API call through the control socket (full rights). */
  socket<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

export interface BackendOptions {
  config?: Record<string, unknown>;
  clock?: TestClock;
  /** Endpoints the suite needs: while any is missing, the suite is skipped, loudly (fails under CI=true). */
  needs?: Probe[];
}

/**
 * Starts a satellite. Returns null — the suite skipped with a banner naming what is missing, or
 * under CI=true failed naming it — when an endpoint of `needs` is not there.
 */
export async function startBackend(t: Test, opts: BackendOptions = {}): Promise<Backend | null> {
  const sat = await startSatellite(t, { config: opts.config, clock: opts.clock });
  const initialPassword = (await readFile(path.join(sat.dataDir, 'initial-admin-password'), 'utf8')).trim();
  const socket = async (method: string, p: string, body?: unknown) => {
    const r = await control(sat.socketPath, method, p, body);
    return { status: r.status, body: r.body };
  };
  const backend: Backend = { sat, url: sat.admin, initialPassword, socket };
  const missing = await missingEndpoints(backend, opts.needs ?? []);
  if (missing.length) {
    missingFeature(t, suiteName(t), missing);
    return null;
  }
  return backend;
}

/**
 * What a suite (or a part of one) does when endpoints it needs are missing: under CI=true it
 * fails, naming them; elsewhere it is skipped with a loud banner naming them.
 */
export function missingFeature(t: Test, part: string, missing: string[]): void {
  if (process.env.CI === 'true') {
    t.fail(`${part}: the daemon does not route ${missing.join(', ')} — a missing endpoint fails under CI=true`);
    return;
  }
  loud([
    `SKIPPED: ${part} — waiting for what this branch does not have yet:`,
    ...missing.map((m) => `    ${m}`),
    'It runs by itself as soon as they are merged; under CI=true this is a failure.',
  ]);
  t.pass(`${part}: the endpoints it needs`, { skip: `waiting for ${missing.join(', ')}` });
}

export type Probe = string | { method: string; path: string; body?: unknown; raw?: Buffer; type?: string };

/**
 * The endpoints (of `probes`) the daemon does not route yet. A probe never changes state: GETs,
 * or writes with a body the API must refuse (unknown field, not a zip).
 */
export async function missingEndpoints(backend: Backend, probes: Probe[]): Promise<string[]> {
  const missing: string[] = [];
  for (const p of probes) {
    const pr = typeof p === 'string' ? { method: p.split(' ')[0]!, path: p.split(' ')[1]! } : p;
    const body = pr.method === 'GET' ? undefined : (pr.raw ?? JSON.stringify(pr.body ?? { __probe: true }));
    const agent = new Agent({ connect: { socketPath: backend.sat.socketPath } });
    try {
      const r = await request(`http://localhost${pr.path}`, {
        method: pr.method as 'GET',
        dispatcher: agent,
        headers: body === undefined ? {} : { 'content-type': pr.type ?? 'application/json' },
        body,
      });
      const text = await r.body.text();
      if (r.statusCode === 404 && text.includes('"No such resource."')) missing.push(`${pr.method} ${pr.path}`);
    } finally {
      await agent.close();
    }
  }
  return missing;
}

/** Logs in over HTTP as the API does (cookie + Origin) and sets the user's own password. */
export async function setOwnPassword(backend: Backend, username: string, current: string, next: string): Promise<void> {
  const origin = new URL(backend.url).origin;
  const login = await request(`${backend.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ username, password: current }) });
  await login.body.dump();
  if (login.statusCode >= 300) throw new Error(`login as ${username} answered ${login.statusCode}`);
  const set = login.headers['set-cookie'];
  const cookie = (Array.isArray(set) ? set : [set ?? '']).map((c) => c.split(';')[0]).join('; ');
  const me = await request(`${backend.url}/api/me`, { headers: { cookie } });
  const { id } = (await me.body.json()) as { id: string };
  const change = await request(`${backend.url}/api/users/${id}/password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin, cookie },
    body: JSON.stringify({ currentPassword: current, newPassword: next }),
  });
  const text = await change.body.text();
  if (change.statusCode >= 300) throw new Error(`password change for ${username} answered ${change.statusCode}: ${text}`);
}

/** What every page of the dashboard reads, and what seeding a registered satellite takes. */
export const DASHBOARD_ENDPOINTS: Probe[] = [
  'GET /api/account',
  'GET /api/virtual-accounts',
  'GET /api/tags',
  'GET /api/licenses',
  'GET /api/alerts',
  'GET /api/summary',
  'GET /api/devices',
  'GET /api/users',
  'GET /api/events',
  'GET /api/sync',
  'GET /api/quarantine',
  'GET /api/reservations',
  'GET /api/reports/licenses?format=csv',
  { method: 'POST', path: '/api/users' },
  { method: 'POST', path: '/api/registration' },
  { method: 'POST', path: '/api/sync/import', raw: Buffer.from('not a zip'), type: 'application/zip' },
];

/** What the overview reads: on a branch without some of them, their cards show a 404. */
export const OVERVIEW_READS = ['GET /api/summary', 'GET /api/status', 'GET /api/licenses/history', 'GET /api/account'];

/**
 * Allowances for the 404s of endpoints not merged yet (said loudly), so that a suite that only
 * passes through a page still checks every other answer. Under CI=true a missing endpoint is
 * no allowance: it throws, naming it, and fails the test.
 */
export async function notYetMerged(backend: Backend, probes: Probe[]): Promise<RegExp[]> {
  const missing = await missingEndpoints(backend, probes);
  if (missing.length && process.env.CI === 'true') {
    throw new Error(`the daemon does not route ${missing.join(', ')} — a missing endpoint fails under CI=true`);
  }
  if (missing.length) loud([`Not merged yet, their 404 is expected in this run: ${missing.join(', ')}`]);
  return missing.map((m) => new RegExp(`^404 ${m.replace(/[/]/g, '\\/')}$`));
}
