// An emulator of a Cisco product's Smart Licensing Using Policy REST API (SPEC §9, COLLECTOR-NOTES.md
// §6): HTTPS with a self-signed certificate, Basic auth on every request, `/smartlic-service`
// close-reports / all-reports / days / list / import, both payload layouts, reports that open and
// close as time passes, imports recorded, and fault switches. Used by the tests, the demo and the
// benchmark as a library (`startFleet`), and by hand as a CLI:
//   npm run emulate -- --products 3 --port 9443
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { X509Certificate } from 'node:crypto';

/** A PEM certificate and key, with the SHA-256 of the certificate (hex) a target can pin. */
export interface Pem {
  cert: string;
  key: string;
  sha256: string;
}

/** Makes a self-signed P-256 certificate for IP 127.0.0.1 and localhost with openssl. */
export async function selfSignedCertificate(cn = '127.0.0.1'): Promise<Pem> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'op-emu-'));
  try {
    const f = (n: string) => path.join(dir, n);
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('k.pem'), '-out', f('c.pem'),
      '-days', '30', '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
    const cert = await readFile(f('c.pem'), 'utf8');
    return { cert, key: await readFile(f('k.pem'), 'utf8'), sha256: new X509Certificate(cert).fingerprint256.replace(/:/g, '').toLowerCase() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Fault switches: each changes what every later request gets, until switched back. */
export interface Faults {
  /** Answer only after this many milliseconds. */
  slowMs?: number;
  /** Answer every request with this status and a short text body (401, 500, …). */
  status?: number;
  /** Answer all-reports with something that is not the expected JSON. */
  garbage?: 'html' | 'truncated' | 'usage-string' | 'no-payload' | 'payload-not-json' | 'count-not-digits' | 'redirect';
  /** Answer all-reports with this many bytes of valid-looking JSON padding. */
  hugeBytes?: number;
  /** Send the answer's headers, then one byte every this many milliseconds, never ending. */
  dripMs?: number;
  /** Serve a different self-signed certificate than the one the product was created with. */
  badCertificate?: boolean;
  /** Answer /import with this status. */
  importStatus?: number;
}

export interface EntitlementUse {
  /** The product's entitlement tag, e.g. regid.2017-03.com.cisco.advantage_k9,1.0_… */
  tag: string;
  count: number;
}

export interface ProductOptions {
  pid: string;
  sn: string;
  username: string;
  password: string;
  /** A: payload `version` 2.0 with report_id in asset_identification; B: no version, report_id in meta. */
  layout?: 'A' | 'B';
  /** `usage` as an array (default) or as the swagger's single object (only the first report). */
  usageShape?: 'array' | 'object';
  entitlements?: EntitlementUse[];
  /** The first report id; ids go up by one per report. Default above 2^53, so a lossy parser shows. */
  firstReportId?: bigint;
  /** An open report closes by itself after this long (seconds). Default 8 hours. */
  reportSeconds?: number;
  /** Seconds since the epoch; default the wall clock. */
  now?: () => number;
  /** How /import wants its body: the raw XML (default) or base64 inside a JSON field. */
  ackBody?: 'xml' | 'base64-json';
  ackField?: string;
  /** Reports closed before the product is first asked (default 0). */
  closedReports?: number;
}

export interface EmuReport {
  id: bigint;
  tag: string;
  state: 'OPEN' | 'CLOSED' | 'ACK';
  start: number;
  end: number | null;
  /** The report object as served, once closed: bytes that never change afterwards. */
  json: string | null;
}

export interface RecordedImport {
  at: number;
  contentType: string;
  body: string;
  /** The acknowledgement document, decoded from whichever body form was used. */
  document: string | null;
  status: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
}

const DEFAULT_ENTITLEMENTS: EntitlementUse[] = [
  { tag: 'regid.2017-03.com.cisco.advantage_k9,1.0_bd1da96e-ec1d-412b-a50e-53846b347d53', count: 1 },
  { tag: 'regid.2017-07.com.cisco.dna_advantage,1.0_b6308627-3ab0-4a11-a3d9-586911a0d790', count: 1 },
];

/** One emulated product instance: its reports, its recorded imports and requests, its faults. */
export class EmulatedProduct {
  readonly options: Required<Omit<ProductOptions, 'now'>> & { now: () => number };
  readonly reports: EmuReport[] = [];
  readonly imports: RecordedImport[] = [];
  readonly requests: RecordedRequest[] = [];
  faults: Faults = {};
  /** Set by the fleet once listening. */
  url = '';
  server: https.Server | null = null;
  private nextId: bigint;
  private readonly signingKey = randomBytes(32);

  constructor(opts: ProductOptions) {
    this.options = {
      layout: 'A', usageShape: 'array', entitlements: DEFAULT_ENTITLEMENTS, firstReportId: 9_007_199_254_740_993n, reportSeconds: 8 * 3600,
      now: () => Math.floor(Date.now() / 1000), ackBody: 'xml', ackField: 'data', closedReports: 0, ...opts,
    };
    this.nextId = this.options.firstReportId;
    const now = this.options.now();
    // Start with the history asked for: closed reports, oldest first, then one open report per tag.
    const closed = this.options.closedReports;
    const tags = this.options.entitlements;
    for (let i = 0; i < closed; i++) {
      const tag = tags[i % tags.length]!.tag;
      const start = now - (closed - i + 1) * 900;
      this.closeReport(this.open(tag, start), start + 900);
    }
    for (const e of tags) this.open(e.tag, now);
  }

  get udi() {
    return { pid: this.options.pid, sn: this.options.sn };
  }

  /** Closed (or acknowledged) reports, as their served JSON objects' report ids. */
  get closedIds(): string[] {
    return this.reports.filter((r) => r.state !== 'OPEN').map((r) => r.id.toString());
  }

  /** Changes the bytes of a closed report while keeping its id: what a broken product might do. */
  tamper(id: bigint | string): void {
    const r = this.reports.find((x) => x.id === BigInt(id));
    if (!r?.json) throw new Error(`no closed report ${id}`);
    const outer = JSON.parse(r.json) as { payload: string };
    outer.payload = outer.payload.replace('"COUNT","value":"', '"COUNT","value":"1');
    r.json = JSON.stringify(outer);
  }

  /** Sets the count a tag's open report will close with. */
  setCount(tag: string, count: number): void {
    const e = this.options.entitlements.find((x) => x.tag === tag);
    if (!e) throw new Error(`no tag ${tag}`);
    e.count = count;
  }

  private open(tag: string, start: number): EmuReport {
    const r: EmuReport = { id: this.nextId++, tag, state: 'OPEN', start, end: null, json: null };
    this.reports.push(r);
    return r;
  }

  /** Time passes: open reports older than `reportSeconds` close at their boundary and reopen. */
  private advance(): void {
    const now = this.options.now();
    for (const r of [...this.reports]) {
      while (r.state === 'OPEN' && now - r.start >= this.options.reportSeconds) {
        const end = r.start + this.options.reportSeconds;
        this.closeReport(r, end);
        this.open(r.tag, end);
      }
    }
  }

  /** POST /close-reports: every open report closes now and a new one opens for its tag. */
  closeAll(): void {
    this.advance();
    const now = this.options.now();
    for (const r of this.reports.filter((x) => x.state === 'OPEN')) {
      if (now <= r.start) continue; // nothing measured yet: a zero-length report is not made
      this.closeReport(r, now);
      this.open(r.tag, now);
    }
  }

  private closeReport(r: EmuReport, end: number): void {
    r.state = 'CLOSED';
    r.end = end;
    r.json = this.reportObject(r, this.faults.garbage === 'count-not-digits' ? 'three' : String(this.options.entitlements.find((e) => e.tag === r.tag)?.count ?? 0));
  }

  /** The report object's JSON text: `payload` is compact JSON held as a string. */
  private reportObject(r: EmuReport, value: string): string {
    const sudi = { udi_pid: this.options.pid, udi_serial_number: this.options.sn };
    const end = r.end!;
    const measurement = {
      log_time: end, metric_name: 'ENTITLEMENT', start_time: r.start, end_time: end, sample_interval: end - r.start,
      num_samples: Math.floor((end - r.start) / 900) + 1,
      meta: this.options.layout === 'A' ? { clock_change_delta: '0', termination_reason: 'CurrentUsageRequested', close_reason: 'CurrentUsageRequested' } : { termination_reason: 'CurrentUsageRequested' },
      value: { type: 'COUNT', value },
    };
    const key = 'regid.2017-05.com.cisco.C9300,v1_727af1d9-6c39-4444-b301-863f81445b72';
    const inner = { signing_type: 'builtin', key, value: 'PLACEHOLDER' };
    // The id goes in as a marker and is replaced by its digits: JSON.stringify cannot write a bigint.
    const payloadObj = this.options.layout === 'A'
      ? {
          version: '2.0',
          asset_identification: { report_id: '@@RID@@', asset: { name: 'regid.2017-05.com.cisco.C9300' }, instance: { sudi } },
          signature: inner,
          meta: { entitlement_tag: r.tag, utility_enabled: false, software_version: '17.09.02', ha_udi: [{ role: 'Active', sudi }] },
          measurements: [measurement],
        }
      : {
          asset_identification: { asset: { name: 'regid.2017-05.com.cisco.C9300' }, instance: { sudi }, signature: inner },
          meta: { entitlement_tag: r.tag, report_id: '@@RID@@', utility_enabled: false, software_version: '17.06.02' },
          measurements: [measurement],
        };
    let payload = JSON.stringify(payloadObj).replace('"@@RID@@"', r.id.toString());
    if (this.faults.garbage === 'payload-not-json') payload = `not json ${payload}`;
    const mac = createHmac('sha256', this.signingKey).update(payload).digest('base64');
    payload = payload.replace('"PLACEHOLDER"', JSON.stringify(mac.slice(0, 43) + '='));
    const outer: Record<string, unknown> = { payload, header: { type: 'rum' }, signature: { sudi, signing_type: 'builtin', key, value: mac } };
    if (this.faults.garbage === 'no-payload') delete outer.payload;
    return JSON.stringify(outer);
  }

  /** The reports `all-reports` serves (closed and acknowledged), within `days` by end time. */
  served(days?: number): string[] {
    this.advance();
    const since = days === undefined ? -Infinity : this.options.now() - days * 86400;
    return this.reports.filter((r) => r.state !== 'OPEN' && r.end! >= since).map((r) => r.json!);
  }

  /** The answer body for all-reports/days. */
  usageBody(days?: number): string {
    const list = this.served(days);
    if (this.options.usageShape === 'object') return list.length ? `{"usage":${list[0]}}` : '{}';
    return `{"usage":[${list.join(',')}]}`;
  }

  /** Records an /import and flips the reports its document names (or, naming none, every closed one) to ACK. */
  applyImport(contentType: string, body: string): number {
    let document: string | null = null;
    if (this.options.ackBody === 'xml') {
      if (body.trimStart().startsWith('<')) document = body;
    } else {
      try {
        const v = (JSON.parse(body) as Record<string, unknown>)[this.options.ackField];
        if (typeof v === 'string') document = Buffer.from(v, 'base64').toString('utf8');
      } catch { /* not JSON: refused below */ }
    }
    const status = this.faults.importStatus ?? (document && document.includes('<smartLicense') ? 200 : 400);
    this.imports.push({ at: this.options.now(), contentType, body, document, status });
    if (status >= 300 || !document) return status;
    // The reference cloud's stand-in names its reports inside base64 <data>; a plain document may name them as text.
    const data = /<data>([^<]*)<\/data>/.exec(document)?.[1];
    const text = document + (data ? Buffer.from(data, 'base64').toString('utf8') : '');
    const named = [...text.matchAll(/\b(\d{1,40})\b/g)].map((m) => m[1]!);
    const ids = new Set(this.reports.map((r) => r.id.toString()).filter((id) => named.includes(id)));
    for (const r of this.reports) if (r.state === 'CLOSED' && (ids.size === 0 || ids.has(r.id.toString()))) r.state = 'ACK';
    return status;
  }

  /** Basic auth, checked on every request in constant time. */
  authorised(header: string | undefined): boolean {
    const want = Buffer.from(`Basic ${Buffer.from(`${this.options.username}:${this.options.password}`).toString('base64')}`);
    const got = Buffer.from(header ?? '');
    return got.length === want.length && timingSafeEqual(got, want);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function handle(p: EmulatedProduct, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  const url = new URL(req.url ?? '/', 'https://product');
  const send = (status: number, text: string, type = 'application/json') => {
    p.requests.push({ method: req.method ?? '', path: url.pathname, status });
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const f = p.faults;
  if (f.slowMs) await sleep(f.slowMs);
  if (!p.authorised(req.headers.authorization)) return send(401, '{"error":"unauthorized"}');
  if (f.status) return send(f.status, `{"error":"emulated ${f.status}"}`);
  const route = `${req.method} ${url.pathname}`;
  if (route === 'POST /smartlic-service/close-reports') {
    p.closeAll();
    return send(200, '{"status":"OK"}');
  }
  if (route === 'POST /smartlic-service/import') return send(p.applyImport(String(req.headers['content-type'] ?? ''), body), '{}');
  const days = /^\/smartlic-service\/days(?:\/(\d+))?$/.exec(url.pathname);
  if (req.method === 'GET' && (url.pathname === '/smartlic-service/all-reports' || days)) {
    const n = days ? Number(days[1] ?? 90) : undefined;
    if (f.dripMs) {
      p.requests.push({ method: 'GET', path: url.pathname, status: 200 });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"usage":[');
      const timer = setInterval(() => res.write(' '), f.dripMs);
      res.on('close', () => clearInterval(timer));
      return;
    }
    if (f.hugeBytes) return send(200, `{"padding":"${'x'.repeat(f.hugeBytes)}","usage":[]}`);
    switch (f.garbage) {
      case 'html': return send(200, '<html><body>Login</body></html>', 'text/html');
      case 'truncated': return send(200, p.usageBody(n).slice(0, -7));
      case 'usage-string': return send(200, '{"usage":"none"}');
      case 'redirect':
        p.requests.push({ method: 'GET', path: url.pathname, status: 302 });
        res.writeHead(302, { location: 'https://127.0.0.1:1/elsewhere' });
        return void res.end();
      default: return send(200, p.usageBody(n));
    }
  }
  if (route === 'GET /smartlic-service/list') {
    // Entry field names are a guess (COLLECTOR-NOTES §6.4).
    const list = p.reports.filter((r) => r.state !== 'OPEN').map((r) => `{"report_id":${r.id},"start_time":${r.start},"end_time":${r.end}}`);
    return send(200, `{"usage_list":[${list.join(',')}]}`);
  }
  return send(404, '{"error":"not found"}');
}

export interface Fleet {
  products: EmulatedProduct[];
  /** The certificate every product serves (self-signed). */
  pem: Pem;
  /** The other certificate products switch to under `faults.badCertificate`. */
  otherPem: Pem;
  close(): Promise<void>;
}

export interface FleetOptions {
  /** How many products (each its own HTTPS listener on 127.0.0.1). */
  products?: number;
  /** Per-product options, by index; `pid`/`sn`/`username`/`password` have defaults. */
  product?: (i: number) => Partial<ProductOptions>;
  host?: string;
  /** The first port; 0 (default) lets each listener pick a free one. */
  port?: number;
  pem?: Pem;
}

/** Starts `products` emulated products, each on its own HTTPS port. */
export async function startFleet(opts: FleetOptions = {}): Promise<Fleet> {
  const pem = opts.pem ?? (await selfSignedCertificate());
  const otherPem = await selfSignedCertificate();
  const host = opts.host ?? '127.0.0.1';
  const n = opts.products ?? 1;
  const products: EmulatedProduct[] = [];
  const badContext = { cert: otherPem.cert, key: otherPem.key };
  for (let i = 0; i < n; i++) {
    const p = new EmulatedProduct({
      pid: 'C9300-24P', sn: `FOC${String(2400000 + i).padStart(8, '0')}`, username: 'collector', password: `emulated-${i}-secret`, ...opts.product?.(i),
    });
    const server = https.createServer({
      cert: pem.cert, key: pem.key,
      // A bad certificate is served per connection, so the fault switch applies at once.
      SNICallback: undefined,
    }, (req, res) => {
      handle(p, req, res).catch(() => { res.destroy(); });
    });
    server.on('tlsClientError', () => {});
    const good = { cert: pem.cert, key: pem.key };
    // setSecureContext swaps the certificate for new connections only; checked on each connection.
    server.prependListener('connection', () => {
      const want = p.faults.badCertificate ? 'bad' : 'good';
      if ((server as unknown as { _emuCtx?: string })._emuCtx !== want) {
        server.setSecureContext(want === 'bad' ? badContext : good);
        (server as unknown as { _emuCtx?: string })._emuCtx = want;
      }
    });
    // Keep-alive sockets of a poll client would otherwise hold the close for seconds.
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ? opts.port + i : 0, host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    p.url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    p.server = server;
    products.push(p);
  }
  return {
    products, pem, otherPem,
    async close() {
      await Promise.all(products.map((p) => new Promise<void>((r) => {
        p.server!.close(() => r());
        p.server!.closeAllConnections();
      })));
    },
  };
}

/** The certificate's SHA-256 as the pin a target takes (hex, lowercase). */
export const pinOf = (certPem: string) => createHash('sha256').update(new X509Certificate(certPem).raw).digest('hex');

const HELP = `Emulated Cisco products (Smart Licensing Using Policy REST API) over HTTPS.

usage: npm run emulate -- [options]
  --products N       how many products, one HTTPS port each (default 3)
  --port P           first port (default: free ports)
  --host H           listen address (default 127.0.0.1)
  --layout A|B       payload layout (default: alternating)
  --reports N        closed reports each product starts with (default 2)
  --report-seconds S an open report closes by itself after S seconds (default 28800)
  --ack-body xml|base64-json   how /import takes acknowledgements (default xml)
  --cert-out FILE    also write the self-signed certificate (PEM) to FILE, for tls.ca
  --frozen-clock     the products' clock stands at the start: close-reports closes nothing new,
                     so every poll reads the same reports (the benchmark)
  --help             this text

Prints one CSV line per product (address,username,password,pid,sn), the header first: the
format \`outpost target import\` reads. Stops on Ctrl-C.`;

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      products: { type: 'string', default: '3' }, port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' },
      layout: { type: 'string' }, reports: { type: 'string', default: '2' }, 'report-seconds': { type: 'string', default: '28800' },
      'ack-body': { type: 'string', default: 'xml' }, 'cert-out': { type: 'string' }, 'frozen-clock': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void console.log(HELP);
  const frozen = Math.floor(Date.now() / 1000);
  const fleet = await startFleet({
    products: Number(values.products), host: values.host, port: values.port ? Number(values.port) : 0,
    product: (i) => ({
      layout: (values.layout as 'A' | 'B' | undefined) ?? (i % 2 ? 'B' : 'A'), closedReports: Number(values.reports),
      reportSeconds: Number(values['report-seconds']), ackBody: values['ack-body'] as 'xml' | 'base64-json',
      ...(values['frozen-clock'] ? { now: () => frozen } : {}),
    }),
  });
  if (values['cert-out']) await writeFile(values['cert-out'], fleet.pem.cert);
  console.log('address,username,password,pid,sn');
  for (const p of fleet.products) console.log([p.url, p.options.username, p.options.password, p.options.pid, p.options.sn].join(','));
  console.error(`certificate sha256 ${fleet.pem.sha256}`);
  const stop = () => void fleet.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
