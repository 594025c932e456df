// The HTTPS client the satellite talks to the cloud with (SPEC §5 "Network sync"): undici with
// connect, header and body timeouts, a custom CA added to the system's roots, an HTTPS proxy
// (`exchange.proxy`, or HTTPS_PROXY unless NO_PROXY exempts the cloud; tunnelled with CONNECT),
// and the retry delays.
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { rootCertificates } from 'node:tls';
import { Agent, ProxyAgent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { bypassesProxy } from './no-proxy.ts';

export interface TransportOptions {
  /** The cloud's base URL, e.g. https://cloud.example.com. */
  url: string;
  /** PEM file of CA certificates trusted besides the system's roots. */
  caFile?: string | null;
  /**
   * An http(s) proxy URL, always used; null falls back to HTTPS_PROXY (or https_proxy) in `env`,
   * unless NO_PROXY (or no_proxy) there exempts the cloud's host.
   */
  proxy?: string | null;
  env?: NodeJS.ProcessEnv;
  /** To connect, to get the answer's headers, and between chunks of its body. */
  timeoutSeconds: number;
  /** The answer is refused past this many bytes. */
  maxResponseBytes: number;
}

/** Why an exchange with the cloud failed, in terms an operator can act on. */
export type TransportFailure = 'config' | 'unreachable' | 'timeout' | 'tls' | 'proxy' | 'http' | 'too-large';

export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly kind: TransportFailure;
  /** The cloud's HTTP status, for `http`. */
  readonly status: number | null;
  /** The cloud's §3 error code, when its answer carried one. */
  readonly cloudCode: string | null;

  constructor(kind: TransportFailure, message: string, opts: { status?: number; cloudCode?: string | null; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.kind = kind;
    this.status = opts.status ?? null;
    this.cloudCode = opts.cloudCode ?? null;
  }

  /** Worth trying again later: the network, a timeout, a proxy, or the cloud's 5xx/429. */
  get retryable(): boolean {
    if (this.kind === 'http') return this.status === 429 || (this.status ?? 0) >= 500;
    return this.kind !== 'config' && this.kind !== 'too-large';
  }
}

export interface Transport {
  /** The proxy in use, or null. */
  readonly proxy: string | null;
  /** POSTs the bundle file `bodyFile` to `path` and saves the bundle answered to `outFile`. */
  postBundle(path: string, bodyFile: string, outFile: string): Promise<void>;
  close(): Promise<void>;
}

export async function createTransport(opts: TransportOptions): Promise<Transport> {
  const base = new URL(opts.url);
  const timeout = opts.timeoutSeconds * 1000;
  let ca: string[] | undefined;
  if (opts.caFile) {
    try {
      ca = [...rootCertificates, await readFile(opts.caFile, 'utf8')];
    } catch (err) {
      throw new TransportError('config', `exchange.caFile ${opts.caFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`, { cause: err });
    }
  }
  const proxy = opts.proxy ?? proxyFromEnv(opts.env ?? {}, base);
  const tls = { ...(ca ? { ca } : {}), timeout };
  const timeouts = { connectTimeout: timeout, headersTimeout: timeout, bodyTimeout: timeout };
  let dispatcher: Dispatcher;
  try {
    dispatcher = proxy
      ? new ProxyAgent({ uri: proxy, ...timeouts, requestTls: tls, proxyTls: { timeout } })
      : new Agent({ ...timeouts, connect: tls });
  } catch (err) {
    throw new TransportError('config', `The proxy ${JSON.stringify(proxy)} is not a usable URL.`, { cause: err });
  }
  const shownProxy = proxy ? redact(proxy) : null;

  return {
    proxy: shownProxy,
    async postBundle(path, bodyFile, outFile) {
      const target = new URL(path.replace(/^\//, ''), base.href.endsWith('/') ? base.href : `${base.href}/`);
      let res: Dispatcher.ResponseData;
      try {
        res = await request(target, {
          method: 'POST',
          dispatcher,
          headers: { 'content-type': 'application/zip', 'content-length': String((await stat(bodyFile)).size), accept: 'application/zip' },
          body: createReadStream(bodyFile),
        });
      } catch (err) {
        throw classify(err, target, shownProxy, opts.timeoutSeconds);
      }
      if (res.statusCode < 200 || res.statusCode > 299) {
        throw await httpFailure(res, target);
      }
      let bytes = 0;
      const limit = new Transform({
        transform(chunk: Buffer, _enc, done) {
          bytes += chunk.length;
          if (bytes > opts.maxResponseBytes) {
            done(new TransportError('too-large', `The cloud's answer is larger than ${opts.maxResponseBytes} bytes (exchange.maxBundleBytes).`));
          } else done(null, chunk);
        },
      });
      try {
        await pipeline(res.body, limit, createWriteStream(outFile, { flags: 'wx', mode: 0o600 }));
      } catch (err) {
        await rm(outFile, { force: true });
        if (err instanceof TransportError) throw err;
        throw classify(err, target, shownProxy, opts.timeoutSeconds);
      }
    },
    close: () => dispatcher.close(),
  };
}

/** The proxy the environment names for `target`: HTTPS_PROXY, unless NO_PROXY exempts the host. */
function proxyFromEnv(env: NodeJS.ProcessEnv, target: URL): string | null {
  const proxy = env.HTTPS_PROXY ?? env.https_proxy;
  if (!proxy) return null;
  return bypassesProxy(env.NO_PROXY ?? env.no_proxy, target) ? null : proxy;
}

/** A non-2xx answer: the §3 error JSON when the cloud sent one. */
async function httpFailure(res: Dispatcher.ResponseData, target: URL): Promise<TransportError> {
  let text = '';
  try {
    for await (const chunk of res.body) {
      text += String(chunk);
      if (text.length > 65536) break;
    }
  } catch {
    // the status alone says enough
  } finally {
    res.body.destroy();
  }
  let code: string | null = null;
  let message: string | null = null;
  try {
    const e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
    if (typeof e?.code === 'string') code = e.code;
    if (typeof e?.message === 'string') message = e.message;
  } catch {
    // not the error JSON: a proxy page, a load balancer's HTML
  }
  const detail = code ? `${code}: ${message ?? ''}`.trim() : 'no error details';
  return new TransportError('http', `The cloud at ${target.origin} answered ${res.statusCode} (${detail}).`, {
    status: res.statusCode,
    cloudCode: code,
  });
}

const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_|ERR_SSL|ERR_TLS|HOSTNAME/;

function classify(err: unknown, target: URL, proxy: string | null, seconds: number): TransportError {
  const e = err as { code?: string; message?: string; name?: string };
  const code = e.code ?? '';
  const where = target.origin;
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') {
    const what = code === 'UND_ERR_BODY_TIMEOUT' ? 'sending its answer' : code === 'UND_ERR_HEADERS_TIMEOUT' ? 'answering' : 'connecting';
    return new TransportError('timeout', `The cloud at ${where} took longer than ${seconds} s ${what === 'connecting' ? 'to connect' : `when ${what}`} (exchange.timeoutSeconds).`, { cause: err });
  }
  if (TLS_CODE.test(code)) {
    return new TransportError('tls', `TLS with the cloud at ${where} failed: ${code} (${e.message ?? ''}); if it uses a private CA, set exchange.caFile.`.replace(/\s+\)/, ')'), {
      cause: err,
    });
  }
  if (proxy && (code === 'UND_ERR_ABORTED' || /Proxy response/.test(e.message ?? ''))) {
    return new TransportError('proxy', `The proxy ${proxy} refused to tunnel to ${where}: ${e.message ?? code}.`, { cause: err });
  }
  if (proxy && (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')) {
    return new TransportError('proxy', `The proxy ${proxy} cannot be reached (${code}).`, { cause: err });
  }
  return new TransportError('unreachable', `The cloud at ${where} cannot be reached${proxy ? ` through the proxy ${proxy}` : ''} (${code || e.message || 'error'}).`, { cause: err });
}

/** A proxy URL without its password, for messages and logs. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.href.replace(/\/$/, '');
  } catch {
    return '(invalid proxy URL)';
  }
}

export interface BackoffOptions {
  /** The first retry's delay. */
  baseMs?: number;
  /** No delay grows past this. */
  capMs?: number;
  /** [0, 1): tests pass a fixed value. */
  random?: () => number;
}

/**
 * The delay before retry number `attempt` (1 = the first retry): doubling from `baseMs`, capped
 * at `capMs`, with "equal jitter" — half the delay fixed, half random — so satellites that failed
 * together do not retry together, yet never retry sooner than half the step.
 */
export function retryDelay(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 30_000;
  const cap = opts.capMs ?? 3_600_000;
  const random = opts.random ?? Math.random;
  const step = Math.min(cap, base * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(step / 2 + random() * (step / 2));
}
