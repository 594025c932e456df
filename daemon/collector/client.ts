// The HTTPS client that polls a product's /smartlic-service API (SPEC §9 "Polling"): Basic auth on
// every request, a deadline for each whole request (`collector.timeoutSeconds`, not an idle
// timeout), answers bounded by `collector.maxAnswerBytes`, redirects never followed, TLS verified
// against the system's roots or the target's `tls.ca`, an optional certificate pin, and the
// network rule checked again on the address the socket actually connected to.
import { createHash } from 'node:crypto';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { Agent, buildConnector, request } from 'undici';
import { checkConnectAddress, type Cidr, type Listener } from '../domain/collector/addresses.ts';

export type PollErrorCode =
  | 'COLLECTOR_UNREACHABLE'
  | 'COLLECTOR_TIMEOUT'
  | 'COLLECTOR_TLS'
  | 'COLLECTOR_AUTH_FAILED'
  | 'COLLECTOR_BAD_ANSWER'
  | 'COLLECTOR_TOO_LARGE';

/** Why a poll or a delivery failed: a stable code and one sentence that never echoes the product's answer. */
export class PollError extends Error {
  override readonly name = 'PollError';
  constructor(readonly code: PollErrorCode, message: string) {
    super(message);
  }
}

export interface TargetTls {
  verify: boolean;
  /** PEM of a CA or certificate to trust, instead of the system's roots. */
  ca: string | null;
  /** SHA-256 of the product's certificate (DER), hex. */
  pin: string | null;
}

export interface PollTarget {
  address: string;
  username: string;
  password: string;
  tls: TargetTls;
}

export interface CollectorClientOptions {
  timeoutSeconds: number;
  maxAnswerBytes: number;
  allowedNetworks: readonly Cidr[];
  /** The satellite's own listeners, read at each connection (ports may be picked at start). */
  listeners: () => readonly Listener[];
  ackBody: 'xml' | 'base64-json';
  ackField: string;
  /** Shared TLS contexts (SecureContexts); without it each session builds its own. */
  contexts?: SecureContexts;
}

/**
 * TLS contexts by the CA they trust, shared by the sessions of every poll: building one parses
 * the CA (or loads the system's roots) and costs milliseconds of the event loop, and each holds
 * native memory the garbage collector does not see until it runs. Least recently used go first.
 */
export class SecureContexts {
  readonly #byCa = new Map<string, SecureContext>();
  constructor(private readonly max = 256) {}
  get(ca: string | null): SecureContext {
    const key = ca ?? '';
    let ctx = this.#byCa.get(key);
    if (ctx) this.#byCa.delete(key);
    else ctx = createSecureContext(ca ? { ca } : {});
    this.#byCa.set(key, ctx);
    if (this.#byCa.size > this.max) this.#byCa.delete(this.#byCa.keys().next().value!);
    return ctx;
  }
}

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|ERR_OUTPOST_PIN)/;

class ConnectRefused extends Error {
  readonly code = 'ERR_OUTPOST_ADDRESS';
}

/** One session with one product: its connections are reused by the requests of one poll. */
export class ProductSession {
  private readonly agent: Agent;
  private readonly auth: string;

  constructor(private readonly target: PollTarget, private readonly opts: CollectorClientOptions) {
    this.auth = `Basic ${Buffer.from(`${target.username}:${target.password}`).toString('base64')}`;
    const tls = target.tls;
    const base = buildConnector({
      ...(opts.contexts ? { secureContext: opts.contexts.get(tls.ca) } : tls.ca ? { ca: tls.ca } : {}),
      // With verify off, a pin (when set) is the only check; TLS still encrypts.
      rejectUnauthorized: tls.verify,
      // No TLS session resumption: a resumed session shows no certificate to check the pin against.
      maxCachedSessions: 0,
      timeout: opts.timeoutSeconds * 1000,
    });
    this.agent = new Agent({
      connections: 2,
      headersTimeout: opts.timeoutSeconds * 1000,
      bodyTimeout: opts.timeoutSeconds * 1000,
      connect: (options, cb) => {
        base(options, (err, socket) => {
          if (err || !socket) return cb(err ?? new Error('no socket'), null);
          const refused = checkConnectAddress(socket.remoteAddress ?? '', socket.remotePort ?? 0, opts.allowedNetworks, opts.listeners());
          if (refused) {
            socket.destroy();
            return cb(new ConnectRefused(refused), null);
          }
          if (tls.pin) {
            const cert = (socket as TLSSocket).getPeerCertificate?.();
            const got = cert?.raw ? createHash('sha256').update(cert.raw).digest('hex') : '';
            if (got !== tls.pin.toLowerCase()) {
              socket.destroy();
              const e = Object.assign(new Error('the certificate does not match the pin'), { code: 'ERR_OUTPOST_PIN' });
              return cb(e, null);
            }
          }
          cb(null, socket);
        });
      },
    });
  }

  /**
   * One request, answered within the deadline and the size bound. Returns the 2xx body as text;
   * any other status is a PollError (401/403: AUTH_FAILED; the rest: BAD_ANSWER).
   */
  async send(method: 'GET' | 'POST', path: string, body?: { type: string; data: string }): Promise<string> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new PollError('COLLECTOR_TIMEOUT', `No complete answer within ${this.opts.timeoutSeconds} s.`)), this.opts.timeoutSeconds * 1000);
    try {
      let res;
      try {
        res = await request(`${this.target.address}${path}`, {
          method,
          dispatcher: this.agent,
          signal: deadline.signal,
          headers: {
            authorization: this.auth,
            accept: 'application/json',
            ...(body ? { 'content-type': body.type } : {}),
          },
          ...(body ? { body: body.data } : {}),
        });
      } catch (e) {
        throw classify(e, deadline.signal);
      }
      const { statusCode, headers } = res;
      if (statusCode < 200 || statusCode >= 300) {
        discard(res.body);
        if (statusCode === 401 || statusCode === 403) throw new PollError('COLLECTOR_AUTH_FAILED', `The product refused the username and password (HTTP ${statusCode}).`);
        if (statusCode >= 300 && statusCode < 400) throw new PollError('COLLECTOR_BAD_ANSWER', `The product answered a redirect (HTTP ${statusCode}), which is not followed.`);
        throw new PollError('COLLECTOR_BAD_ANSWER', `The product answered HTTP ${statusCode} to ${method} ${path}.`);
      }
      const declared = Number(headers['content-length']);
      if (Number.isFinite(declared) && declared > this.opts.maxAnswerBytes) {
        discard(res.body);
        throw tooLarge(this.opts.maxAnswerBytes);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of res.body) {
          size += (chunk as Buffer).length;
          if (size > this.opts.maxAnswerBytes) {
            discard(res.body);
            throw tooLarge(this.opts.maxAnswerBytes);
          }
          chunks.push(chunk as Buffer);
        }
      } catch (e) {
        if (e instanceof PollError) throw e;
        throw classify(e, deadline.signal);
      }
      const text = Buffer.concat(chunks).toString('utf8');
      return text;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A poll's two requests: close the open reports, then read them all. Returns the all-reports body. */
  async collect(): Promise<string> {
    // The official sample posts a form-encoded `test=` body; the Close_Request model is unknown, so an empty JSON object.
    await this.send('POST', '/smartlic-service/close-reports', { type: 'application/json', data: '{}' });
    return this.send('GET', '/smartlic-service/all-reports');
  }

  /** Sends one acknowledgement document with POST /smartlic-service/import in the configured body form. */
  async deliverAck(document: string): Promise<void> {
    const body = this.opts.ackBody === 'xml'
      ? { type: 'application/xml', data: document }
      : { type: 'application/json', data: JSON.stringify({ [this.opts.ackField]: Buffer.from(document, 'utf8').toString('base64') }) };
    await this.send('POST', '/smartlic-service/import', body);
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => {});
  }
}

/** Drops an answer body: undici reports a destroyed body as an error event, which nobody waits for here. */
function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => {});
  body.destroy();
}

function tooLarge(max: number): PollError {
  return new PollError('COLLECTOR_TOO_LARGE', `The answer is larger than collector.maxAnswerBytes (${max} bytes).`);
}

function classify(e: unknown, signal: AbortSignal): PollError {
  if (e instanceof PollError) return e;
  if (signal.aborted && signal.reason instanceof PollError) return signal.reason;
  const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.code ?? err.cause?.code ?? '';
  if (code === 'ERR_OUTPOST_ADDRESS') return new PollError('COLLECTOR_UNREACHABLE', `The address connected to is refused: ${err.message}.`);
  if (TLS_CODES.test(code) || /certificate|ssl|tls/i.test(err.message ?? '')) {
    return new PollError('COLLECTOR_TLS', code === 'ERR_OUTPOST_PIN' ? 'The product\'s certificate does not match tls.pin.' : `The product's certificate does not verify (${code || 'TLS error'}).`);
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new PollError('COLLECTOR_TIMEOUT', 'The product did not answer in time.');
  }
  return new PollError('COLLECTOR_UNREACHABLE', `The product could not be reached (${code || 'connection failed'}).`);
}
