// A real satellite on loopback for the browser, logged into through POST /api/login. Where the
// daemon lacks an endpoint a suite needs, the suite is skipped with a loud banner naming it;
// suites that allow it run against the test-only session stub while /api/login is missing.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Test } from 'tap';
import { request } from 'undici';
import { control } from '../../helpers/control.ts';
import { startSatellite, type TestClock, type TestSatellite } from '../../helpers/satellite.ts';
import { loud } from './browser.ts';
import { startSessionStub } from './session-stub.ts';

/** The suite's name for a banner: its file at the top level. */
const suiteName = (t: Test): string => (t.name === 'TAP' ? path.relative(process.cwd(), process.argv[1] ?? '') : t.fullname);

/** The admin's password once the harness has changed the one-time one. */
export const ADMIN_PASSWORD = 'correct horse battery staple';

export interface Backend {
  sat: TestSatellite;
  /** The dashboard's address (the admin listener, or the stub in front of it). */
  url: string;
  sessions: 'real' | 'stub';
  initialPassword: string;
  /** An admin API call through the control socket (full rights). */
  socket<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

export interface BackendOptions {
  config?: Record<string, unknown>;
  clock?: TestClock;
  /** Run against the session stub when the daemon has no /api/login yet. */
  allowStub?: boolean;
}

/** Starts a satellite; returns null (the test skipped, loudly) when sessions are missing and no stub is allowed. */
export async function startBackend(t: Test, opts: BackendOptions = {}): Promise<Backend | null> {
  const sat = await startSatellite(t, { config: opts.config, clock: opts.clock });
  const initialPassword = (await readFile(path.join(sat.dataDir, 'initial-admin-password'), 'utf8')).trim();
  const probe = await request(`${sat.admin}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: sat.admin }, body: '{}' });
  await probe.body.dump();
  const socket = async (method: string, p: string, body?: unknown) => {
    const r = await control(sat.socketPath, method, p, body);
    return { status: r.status, body: r.body };
  };
  if (probe.statusCode !== 404) return { sat, url: sat.admin, sessions: 'real', initialPassword, socket };
  if (!opts.allowStub) {
    loud([
      `SKIPPED: ${suiteName(t)} — POST /api/login answers 404: the daemon on this branch has no sessions yet.`,
      'This suite logs in through /api/login and runs once the sessions backend is merged.',
    ]);
    t.pass('sessions backend', { skip: 'waiting for the sessions backend (POST /api/login answers 404)' });
    return null;
  }
  loud([
    `STUBBED SESSIONS: ${suiteName(t)} — POST /api/login answers 404 on this daemon.`,
    'Login, logout, /api/me and the own-password change come from test/e2e/harness/session-stub.ts',
    '(a test-only stand-in); everything else is the real daemon. It switches to the real sessions by itself.',
  ]);
  const url = await startSessionStub(t, sat, initialPassword);
  return { sat, url, sessions: 'stub', initialPassword, socket };
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
    const r = await control(backend.sat.socketPath, pr.method, pr.path, pr.method === 'GET' ? undefined : (pr.body ?? { __probe: true }));
    if (r.status === 404 && (r.body as { error?: { message?: string } })?.error?.message === 'No such resource.') missing.push(`${pr.method} ${pr.path}`);
  }
  return missing;
}

/** Skips `t` loudly unless every probed endpoint exists. */
export async function requireEndpoints(t: Test, backend: Backend, probes: Probe[]): Promise<boolean> {
  const missing = await missingEndpoints(backend, probes);
  if (missing.length === 0) return true;
  loud([`SKIPPED: ${suiteName(t)} — waiting for endpoints this branch does not have yet:`, ...missing.map((m) => `    ${m}`), 'It runs as soon as they are merged.']);
  t.pass('endpoints', { skip: `waiting for ${missing.join(', ')}` });
  return false;
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

/** What the overview reads: on a branch without some of them, their cards show a 404. */
export const OVERVIEW_READS = ['GET /api/sync', 'GET /api/alerts', 'GET /api/licenses', 'GET /api/account'];

/**
 * Allowances for the 404s of endpoints not merged yet (said loudly), so that a suite that only
 * passes through a page still checks every other answer.
 */
export async function notYetMerged(backend: Backend, probes: Probe[]): Promise<RegExp[]> {
  const missing = await missingEndpoints(backend, probes);
  if (missing.length) loud([`Not merged yet, their 404 is expected in this run: ${missing.join(', ')}`]);
  return missing.map((m) => new RegExp(`^404 ${m.replace(/[/]/g, '\\/')}$`));
}
