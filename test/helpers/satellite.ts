// An in-process satellite on loopback with a temp data dir and a movable clock.
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Test } from 'tap';
import { request } from 'undici';
import { loadConfig } from '../../daemon/config/index.ts';
import { createLogger } from '../../daemon/log.ts';
import { openSatellite, type Satellite } from '../../daemon/main.ts';
import { tempDir } from './tmp.ts';

export interface TestClock {
  (): Date;
  set(d: Date | string): void;
  advanceDays(n: number): void;
}

export function testClock(start = '2026-11-28T10:00:00.000Z'): TestClock {
  let now = new Date(start).getTime();
  const clock = (() => new Date(now)) as TestClock;
  clock.set = (d) => void (now = new Date(d).getTime());
  clock.advanceDays = (n) => void (now += n * 86_400_000);
  return clock;
}

export interface TestSatellite extends Satellite {
  dataDir: string;
  clock: TestClock;
  logs: string[];
  device: string;
  admin: string;
}

export async function startSatellite(
  t: Test,
  opts: { config?: Record<string, unknown>; clock?: TestClock; dataDir?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<TestSatellite> {
  const dataDir = opts.dataDir ?? path.join(tempDir(t), 'data');
  const clock = opts.clock ?? testClock();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  const config = loadConfig({
    env: {},
    overrides: { dataDir, 'device.listen': '127.0.0.1:0', 'admin.listen': '127.0.0.1:0', 'log.level': 'debug', ...opts.config },
  });
  // The host's HTTPS_PROXY must not leak into a test: the environment is given, empty by default.
  const sat = await openSatellite(config, { log: createLogger('debug', sink), clock, env: opts.env ?? {} });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await sat.close();
  };
  t.teardown(close);
  return { ...sat, close, dataDir, clock, logs, device: sat.listeners.device!, admin: sat.listeners.admin! };
}

export interface Answer<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

/** One JSON request; the body is parsed when it is JSON. */
export async function http<T = any>(
  method: string,
  url: string,
  opts: { body?: unknown; raw?: string | Buffer; type?: string; headers?: Record<string, string>; socketPath?: string } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | Buffer | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers['content-type'] = opts.type ?? 'application/json';
  const res = await request(url, { method: method as 'GET', headers, body });
  const text = await res.body.text();
  let parsed: unknown = text;
  if (String(res.headers['content-type'] ?? '').includes('json') && text) parsed = JSON.parse(text);
  return { status: res.statusCode, headers: res.headers as Answer['headers'], body: parsed as T };
}
