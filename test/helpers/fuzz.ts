// A seeded generator of bad device-API requests (types, sizes, nesting, unicode, prototype
// keys, bad credentials and JWS), and a runner that sends them to a satellite and checks the
// two rules every refusal keeps: no 5xx, and a refused request changes nothing in the store.
// The fuzz test runs it at CI size; `npm run soak` runs it longer.
import { randomUUID, generateKeyPairSync, sign } from 'node:crypto';
import type { Store } from '../../daemon/store/index.ts';
import { http } from './satellite.ts';

/** mulberry32: small, seedable, good enough to pick cases reproducibly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** What the case was made of, for a failure's message. */
  label: string;
}

export interface FuzzTarget {
  /** A registered device's credential (valid). */
  credential: string;
  /** A valid registration token (most register cases spoil something else). */
  token: string;
  /** The instant the satellite's clock shows. */
  now: Date;
  policyMode: boolean;
}

const b64u = (s: string | Buffer) => Buffer.from(s).toString('base64url');

export function fuzzCases(seed: number, count: number, target: FuzzTarget): FuzzRequest[] {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  const other = generateKeyPairSync('ed25519');

  const nest = (n: number): unknown => {
    let v: unknown = pick([1, 'x', null, true, {}, []]);
    for (let i = 0; i < n; i++) v = rnd() < 0.5 ? [v] : { [pick(['a', '__proto__', 'constructor', 'usage'])]: v };
    return v;
  };
  const strings = [
    '', ' ', 'x'.repeat(129), 'x'.repeat(70_000), '\u0000', 'a\u0007b', '\u007f', '\ud800', '\udfff\ud800',
    '\u202eevil', '💥'.repeat(40), 'Ω≈ç√', '=cmd|calc', '__proto__', 'constructor', 'prototype', 'toString',
    '2026-11-31T10:00:00.000Z', '2026-02-30T00:00:00Z', '2026-11-28T24:00:00Z', '2026-11-28T10:00Z',
    '9999-12-31T23:59:59Z', '0001-01-01T00:00:00Z', 'NaN', 'null', '../../etc/passwd', '%00', '\r\n\r\nHTTP/1.1 200',
  ];
  const badValue = (): unknown =>
    pick<() => unknown>([
      () => pick(strings),
      () => pick([null, true, false, 0, -1, 1.5, 1e300, -1e300, 2 ** 53, 1_000_001, Number.MAX_SAFE_INTEGER]),
      () => [],
      () => ({}),
      () => [pick(strings)],
      () => ({ __proto__: { polluted: true } }),
      () => JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'),
      () => nest(1 + int(80)),
    ])();

  const goodReport = () => {
    const end = new Date(target.now.getTime() - int(3_600_000));
    return {
      reportId: randomUUID(),
      window: { start: new Date(end.getTime() - 3_600_000).toISOString(), end: end.toISOString() },
      usage: [{ entitlement: 'network-advantage', count: 1 + int(5) }],
    } as Record<string, any>;
  };

  /** A report with exactly one thing wrong. */
  const spoilReport = (): unknown => {
    const r = goodReport();
    switch (int(12)) {
      case 0: r.reportId = badValue(); break;
      case 1: r.window = badValue(); break;
      case 2: r.window.start = pick([...strings.slice(17, 21), 1764324000000, null]); break;
      case 3: r.window.end = pick([...strings.slice(17, 21), 1764324000000, null, '2099-01-01T00:00:00Z']); break;
      case 4: r.usage = badValue(); break;
      case 5: r.usage = [{ entitlement: pick(['', 'x'.repeat(129), '\u0000', 'a\tb']), count: 1 }]; break;
      case 6: r.usage = [{ entitlement: 'network-advantage', count: pick([-1, 1.5, 1e300, 2 ** 53, 1_000_001, '1', null, [], {}]) }]; break;
      case 7: r.usage = Array.from({ length: 501 }, (_, i) => ({ entitlement: `e${i}`, count: 1 })); break;
      case 8: r.usage = [r.usage[0], r.usage[0]]; break;
      case 9: r.extra = nest(65 + int(4000)); break;
      case 10: r.window = { start: r.window.end, end: r.window.start }; break;
      default: delete r[pick(['reportId', 'window', 'usage'])];
    }
    return rnd() < 0.1 ? JSON.parse(`{"__proto__":${JSON.stringify(r)}}`) : r;
  };

  const spoilJson = (value: unknown): string => {
    const text = JSON.stringify(value) ?? 'null';
    switch (int(8)) {
      case 0: return text.slice(0, int(text.length));
      case 1: return text + pick([',', '}', ' garbage', '\u0000']);
      case 2: return '\ufeff' + text;
      case 3: return text.replace(/"/, "'");
      default: return text;
    }
  };

  const jws = (header: unknown, payload: string, key = privateKey) => {
    const h = b64u(JSON.stringify(header));
    const p = b64u(payload);
    return `${h}.${p}.${b64u(sign(null, Buffer.from(`${h}.${p}`), key))}`;
  };
  const badJws = (): string => {
    const payload = JSON.stringify({ udi: { pid: 'C9300-24P', sn: `FZ${int(50)}` }, ...goodReport() });
    switch (int(11)) {
      case 0: return pick(['', '.', '..', 'a.b', 'a.b.c.d', '!!!.###.$$$', 'x'.repeat(70_000)]);
      case 1: return jws({ alg: 'none', jwk }, payload);
      case 2: return jws({ alg: 'EdDSA' }, payload);
      case 3: return jws({ alg: 'EdDSA', jwk: { ...jwk, d: 'AAAA' } }, payload);
      case 4: return jws({ alg: 'EdDSA', jwk: { kty: 'EC', crv: 'P-256', x: jwk.x } }, payload);
      case 5: return jws({ alg: 'EdDSA', jwk }, payload, other.privateKey);
      case 6: return jws({ alg: 'EdDSA', jwk }, JSON.stringify({ udi: { pid: 'C9300-24P', sn: 'FZ' }, ...(spoilReport() as object) }));
      case 7: return jws({ alg: 'EdDSA', jwk }, JSON.stringify(nest(65 + int(3000))));
      case 8: return jws(nest(65 + int(3000)), payload);
      case 9: return jws({ alg: 'EdDSA', jwk, crit: ['b64'] }, payload);
      default: return jws({ alg: 'EdDSA', jwk }, spoilJson(badValue()));
    }
  };

  const badCredential = (): string =>
    pick([
      '',
      'Bearer',
      'Bearer ',
      `Basic ${b64u('a:b')}`,
      `Bearer ${target.credential.slice(0, -3)}abc`,
      `Bearer ${b64u('{"alg":"none","typ":"outpost-device+jwt"}')}.${target.credential.split('.')[1]}.`,
      `Bearer ${target.credential}x`,
      `Bearer ${'a'.repeat(8000)}`,
      `Bearer ${pick(strings).replace(/[^\x20-\x7e]/g, '?')}`,
    ]);
  const auth = (h: string): Record<string, string> => (h ? { authorization: h } : {});
  const json = { 'content-type': 'application/json' };

  const makers: Array<() => FuzzRequest> = [
    () => ({ method: 'POST', path: '/v1/reports', headers: { ...json, authorization: `Bearer ${target.credential}` }, body: JSON.stringify(spoilReport()), label: 'spoilt report' }),
    () => ({ method: 'POST', path: '/v1/reports', headers: { ...json, authorization: `Bearer ${target.credential}` }, body: spoilJson(badValue()), label: 'bad JSON body' }),
    () => ({ method: 'POST', path: '/v1/reports', headers: { ...json, ...auth(badCredential()) }, body: JSON.stringify(goodReport()), label: 'bad credential' }),
    () => ({ method: 'POST', path: '/v1/reports', headers: { 'content-type': pick(['text/plain', 'application/jose', '', 'application/json-seq', 'multipart/form-data']), authorization: `Bearer ${target.credential}` }, body: JSON.stringify(goodReport()), label: 'bad media type' }),
    () => {
      const r = { token: target.token, udi: { pid: 'C9300-24P', sn: `FZ${int(1000)}` }, hostname: 'h' } as Record<string, any>;
      switch (int(6)) {
        case 0: r.token = badValue(); break;
        case 1: r.udi = badValue(); break;
        case 2: r.udi.pid = pick(['', 'x'.repeat(65), '\u0000', 1, null]); break;
        case 3: r.hostname = pick(['', 'x'.repeat(256), 'a\nb', 5]); break;
        case 4: r.force = pick(['yes', 1, null]); break;
        default: r.nested = nest(65 + int(2000));
      }
      return { method: 'POST', path: '/v1/register', headers: json, body: rnd() < 0.2 ? spoilJson(r) : JSON.stringify(r), label: 'bad register' };
    },
    () => ({ method: 'GET', path: `/v1/acks?after=${encodeURIComponent(pick(['-1', 'x', '1e5', '99999999999999999', '', '0x10', '%', '\u0000']))}`, headers: auth(pick([`Bearer ${target.credential}`, badCredential()])), label: 'bad acks cursor' }),
    () => ({ method: pick(['GET', 'POST'] as const), path: pick(['/v1/status', '/v1/deregister', '/v1/acks']), headers: auth(badCredential()), label: 'bad credential (status/deregister)' }),
    () => ({ method: 'POST', path: '/v1/reports', headers: { ...json, authorization: `Bearer ${target.credential}` }, body: 'x'.repeat(65 * 1024 + int(10_000)), label: 'too large' }),
  ];
  if (target.policyMode) {
    makers.push(
      () => ({ method: 'POST', path: '/v1/usage', headers: { 'content-type': 'application/jose' }, body: badJws(), label: 'bad JWS' }),
      () => ({ method: 'POST', path: '/v1/usage', headers: { 'content-type': 'application/jose' }, body: badJws(), label: 'bad JWS' }),
      () => ({ method: 'POST', path: '/v1/usage', headers: { 'content-type': pick(['application/json', 'text/plain']) }, body: badJws(), label: 'JWS, bad media type' }),
    );
  }
  return Array.from({ length: count }, () => pick(makers)());
}

/** Every key and value in the store, as one string, to compare before and after. */
export async function storeText(store: Store): Promise<string> {
  const parts: string[] = [];
  for await (const [k, v] of store.iterate<unknown>({})) parts.push(k, JSON.stringify(v));
  return parts.join('\n');
}

export interface FuzzOutcome {
  sent: number;
  byStatus: Record<number, number>;
  /** What broke a rule: a 5xx, or a refused request that changed the store. */
  failures: string[];
}

/**
 * Sends `cases` one after another and compares the store every `batch` requests (a full read
 * of the store costs more than a request). A batch in which a POST was accepted (an accidental
 * valid request) only moves the baseline; any other batch must leave the store as it was.
 */
export async function runFuzz(deviceUrl: string, store: Store, cases: FuzzRequest[], batch = 50): Promise<FuzzOutcome> {
  const outcome: FuzzOutcome = { sent: 0, byStatus: {}, failures: [] };
  let before = await storeText(store);
  for (let i = 0; i < cases.length; i += batch) {
    let accepted = false;
    const labels: string[] = [];
    for (const c of cases.slice(i, i + batch)) {
      let status: number;
      try {
        const res = await http(c.method, deviceUrl + c.path, { raw: c.body, type: c.headers['content-type'], headers: c.headers });
        status = res.status;
      } catch (err) {
        outcome.failures.push(`${c.label}: the request failed (${(err as Error).message})`);
        continue;
      }
      outcome.sent++;
      outcome.byStatus[status] = (outcome.byStatus[status] ?? 0) + 1;
      if (status >= 500) outcome.failures.push(`${c.label}: answered ${status} to ${c.method} ${c.path} ${String(c.body).slice(0, 200)}`);
      if (status < 300 && c.method === 'POST') accepted = true;
      labels.push(`${c.label} ${status}`);
    }
    const after = await storeText(store);
    if (!accepted && after !== before) outcome.failures.push(`requests ${i}–${i + batch - 1} were all refused but the store changed: ${labels.join(', ')}`);
    before = after;
  }
  return outcome;
}
