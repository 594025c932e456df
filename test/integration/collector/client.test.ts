// The poll client against the product emulator over real HTTPS: each fault becomes its stable
// code, the answer is never echoed, redirects are not followed, the deadline covers the whole
// request, and the network rule is checked on the address actually connected to.
import t from 'tap';
import { parseCidr, type Cidr } from '../../../daemon/domain/collector/addresses.ts';
import { parseAllReports } from '../../../daemon/domain/collector/reports.ts';
import { PollError, ProductSession, type CollectorClientOptions, type PollTarget } from '../../../daemon/collector/client.ts';
import { startFleet, type EmulatedProduct } from '../../../scripts/product-emulator.ts';

const cidrs = (...c: string[]) => c.map((x) => parseCidr(x) as Cidr);
const fleet = await startFleet({ products: 2, product: (i) => ({ layout: i ? 'B' : 'A', closedReports: 3 }) });
t.teardown(() => fleet.close());
const [p, q] = fleet.products as [EmulatedProduct, EmulatedProduct];

const options = (over: Partial<CollectorClientOptions> = {}): CollectorClientOptions => ({
  timeoutSeconds: 2,
  maxAnswerBytes: 1024 * 1024,
  allowedNetworks: cidrs('127.0.0.0/8'),
  listeners: () => [],
  ackBody: 'xml',
  ackField: 'data',
  ...over,
});
const target = (prod: EmulatedProduct, over: Partial<PollTarget> = {}): PollTarget => ({
  address: prod.url,
  username: prod.options.username,
  password: prod.options.password,
  tls: { verify: true, ca: fleet.pem.cert, pin: null },
  ...over,
});

async function failure(session: ProductSession, f: () => Promise<unknown> = () => session.collect()): Promise<PollError> {
  try {
    await f();
  } catch (e) {
    return e as PollError;
  } finally {
    await session.close();
  }
  throw new Error('expected a failure');
}

t.afterEach(() => {
  p.faults = {};
  q.faults = {};
});

t.test('collect() closes the open reports and reads all of them, ids beyond 2^53 kept as digits', async (t) => {
  const s = new ProductSession(target(p), options());
  const body = await s.collect();
  await s.close();
  t.same(p.requests.slice(-2).map((r) => `${r.method} ${r.path} ${r.status}`), ['POST /smartlic-service/close-reports 200', 'GET /smartlic-service/all-reports 200']);
  const parsed = parseAllReports(body);
  t.equal(parsed.skipped.length, 0);
  t.ok(parsed.reports.length >= 3);
  t.equal(parsed.reports[0]!.reportId, '9007199254740993', 'first id, above 2^53, exact');
  t.same(parsed.reports.map((r) => r.reportId), p.closedIds);
  t.same(parsed.reports[0]!.udi, p.udi);
  // The payload is the product's string, byte for byte.
  const served = JSON.parse(p.reports.find((r) => r.id === 9007199254740993n)!.json!) as { payload: string };
  t.equal(parsed.reports[0]!.payload, served.payload);
});

t.test('layout B (report_id in meta, signature inside asset_identification) reads the same way', async (t) => {
  const s = new ProductSession(target(q), options());
  const parsed = parseAllReports(await s.collect());
  await s.close();
  t.ok(parsed.reports.length >= 3);
  t.equal(parsed.skipped.length, 0);
  t.notOk(parsed.reports[0]!.payload.includes('"version"'));
  t.same(parsed.reports[0]!.udi, q.udi);
});

t.test('a wrong password is COLLECTOR_AUTH_FAILED', async (t) => {
  const e = await failure(new ProductSession(target(p, { password: 'wrong' }), options()));
  t.equal(e.code, 'COLLECTOR_AUTH_FAILED');
});

t.test('a 500 is COLLECTOR_BAD_ANSWER and the body is not echoed', async (t) => {
  p.faults = { status: 500 };
  const e = await failure(new ProductSession(target(p), options()));
  t.equal(e.code, 'COLLECTOR_BAD_ANSWER');
  t.notMatch(e.message, /emulated/);
});

t.test('a redirect is not followed', async (t) => {
  p.faults = { garbage: 'redirect' };
  const before = p.requests.length;
  const e = await failure(new ProductSession(target(p), options()));
  t.equal(e.code, 'COLLECTOR_BAD_ANSWER');
  t.match(e.message, /redirect/);
  t.equal(p.requests.length, before + 2, 'close-reports and all-reports only');
});

t.test('an answer over maxAnswerBytes is COLLECTOR_TOO_LARGE', async (t) => {
  p.faults = { hugeBytes: 2 * 1024 * 1024 };
  const e = await failure(new ProductSession(target(p), options()));
  t.equal(e.code, 'COLLECTOR_TOO_LARGE');
});

t.test('an answer that never ends (slow drip) hits the whole-request deadline', async (t) => {
  p.faults = { dripMs: 100 };
  const started = Date.now();
  const e = await failure(new ProductSession(target(p), options({ timeoutSeconds: 1 })));
  t.equal(e.code, 'COLLECTOR_TIMEOUT');
  t.ok(Date.now() - started < 3000, 'within about the deadline, though bytes kept coming');
});

t.test('a slow product is COLLECTOR_TIMEOUT', async (t) => {
  p.faults = { slowMs: 1500 };
  const e = await failure(new ProductSession(target(p), options({ timeoutSeconds: 1 })));
  t.equal(e.code, 'COLLECTOR_TIMEOUT');
});

t.test('a certificate that does not verify is COLLECTOR_TLS; a pin or the right CA makes it work', async (t) => {
  t.equal((await failure(new ProductSession(target(p, { tls: { verify: true, ca: null, pin: null } }), options()))).code, 'COLLECTOR_TLS', 'self-signed, system roots');
  p.faults = { badCertificate: true };
  t.equal((await failure(new ProductSession(target(p), options()))).code, 'COLLECTOR_TLS', 'another certificate than the CA given');
  t.equal((await failure(new ProductSession(target(p, { tls: { verify: false, ca: null, pin: fleet.pem.sha256 } }), options()))).code, 'COLLECTOR_TLS', 'pin mismatch');
  const pinned = new ProductSession(target(p, { tls: { verify: false, ca: null, pin: fleet.otherPem.sha256 } }), options());
  t.ok((await pinned.collect()).startsWith('{"usage"'), 'the pinned certificate is accepted');
  await pinned.close();
  p.faults = {};
  const unverified = new ProductSession(target(p, { tls: { verify: false, ca: null, pin: null } }), options());
  t.ok((await unverified.collect()).startsWith('{"usage"'), 'verify: false accepts it');
  await unverified.close();
});

t.test('an address outside allowedNetworks, or a listener of the satellite, is refused at connect time', async (t) => {
  const e = await failure(new ProductSession(target(p), options({ allowedNetworks: cidrs('10.0.0.0/8') })));
  t.equal(e.code, 'COLLECTOR_UNREACHABLE');
  t.match(e.message, /allowedNetworks/);
  const port = Number(new URL(p.url).port);
  const self = await failure(new ProductSession(target(p), options({ listeners: () => [{ host: '0.0.0.0', port }] })));
  t.equal(self.code, 'COLLECTOR_UNREACHABLE');
  t.match(self.message, /own listeners/);
});

t.test('a closed port is COLLECTOR_UNREACHABLE', async (t) => {
  const e = await failure(new ProductSession(target(p, { address: 'https://127.0.0.1:1' }), options()));
  t.equal(e.code, 'COLLECTOR_UNREACHABLE');
});

t.test('deliverAck posts the document as XML, or base64 in a JSON field', async (t) => {
  const doc = '<smartLicense><smartLicenseRumAck><data>x</data></smartLicenseRumAck></smartLicense>';
  const s = new ProductSession(target(p), options());
  await s.deliverAck(doc);
  await s.close();
  t.same(p.imports.at(-1)!.document, doc);
  t.equal(p.imports.at(-1)!.contentType, 'application/xml');
  q.options.ackBody = 'base64-json';
  q.options.ackField = 'ack';
  const b = new ProductSession(target(q), options({ ackBody: 'base64-json', ackField: 'ack' }));
  await b.deliverAck(doc);
  t.same(JSON.parse(q.imports.at(-1)!.body), { ack: Buffer.from(doc).toString('base64') });
  t.equal(q.imports.at(-1)!.document, doc);
  const wrong = await failure(new ProductSession(target(q), options()), async () => {
    const w = new ProductSession(target(q), options());
    try { await w.deliverAck(doc); } finally { await w.close(); }
  });
  t.equal(wrong.code, 'COLLECTOR_BAD_ANSWER', 'the product refuses the other body form');
  await b.close();
});
