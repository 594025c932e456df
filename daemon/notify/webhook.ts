// Webhook delivery (SPEC §10): POST the event as JSON, signed with HMAC-SHA256 of the body, with
// the delivery id that stays the same on every retry. 2xx is delivered; anything else, a 3xx
// included (never followed), a timeout or a refused address is a failure the outbox retries.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { rootCertificates } from 'node:tls';
import { Agent, buildConnector, request } from 'undici';
import { isPrivateAddress } from './address-guard.ts';
import { readSecretFile } from './smtp.ts';

export interface WebhookSettings {
  url: string;
  secretFile: string;
  caFile: string | null;
  allowPrivate: boolean;
  timeoutSeconds: number;
}

export interface WebhookSender {
  readonly url: string;
  /** Resolves when the receiver answered 2xx; rejects with a one-line reason otherwise. */
  send(body: string, eventType: string, deliveryId: string): Promise<void>;
  close(): Promise<void>;
}

export class WebhookRefused extends Error {
  override readonly name = 'WebhookRefused';
}

/** The value of `X-Outpost-Signature`. */
export const signature = (secret: string, body: string): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

export function createWebhookSender(s: WebhookSettings): WebhookSender {
  const secret = readSecretFile(s.secretFile);
  if (secret.length < 16) throw new TypeError(`webhook secret in ${s.secretFile} is shorter than 16 characters`);
  const ms = s.timeoutSeconds * 1000;
  const ca = s.caFile === null ? undefined : [...rootCertificates, readFileSync(s.caFile, 'utf8')];
  const connect = buildConnector({ timeout: ms, ca, minVersion: 'TLSv1.2' } as buildConnector.BuildOptions);
  // TCP first, checked on the address connected to, and only then TLS (undici's connector
  // upgrades the socket we hand it): a refused address never sees a TLS handshake or a byte.
  const guarded: buildConnector.connector = (opts, cb) => {
    const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
    const host = opts.hostname.replace(/^\[|\]$/g, '');
    const sock = net.connect({ host, port });
    const timer = setTimeout(() => sock.destroy(Object.assign(new Error('connect timed out'), { code: 'UND_ERR_CONNECT_TIMEOUT' })), ms);
    const fail = (err: Error) => {
      clearTimeout(timer);
      cb(err, null);
    };
    sock.once('error', fail);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.off('error', fail);
      const addr = sock.remoteAddress ?? '';
      if (!s.allowPrivate && isPrivateAddress(addr)) {
        sock.destroy();
        return cb(new WebhookRefused(`refused: ${opts.hostname} is at the private address ${addr} (set allowPrivate to permit it)`), null);
      }
      if (opts.protocol !== 'https:') return cb(null, sock);
      connect({ ...opts, httpSocket: sock } as buildConnector.Options, cb);
    });
  };
  const agent = new Agent({ connect: guarded, headersTimeout: ms, bodyTimeout: ms, connections: 4 });
  return {
    url: s.url,
    async send(body, eventType, deliveryId) {
      const res = await request(s.url, {
        method: 'POST',
        dispatcher: agent,
        body,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'outpost-webhook',
          'x-outpost-event': eventType,
          'x-outpost-delivery': deliveryId,
          'x-outpost-signature': signature(secret, body),
        },
        signal: AbortSignal.timeout(ms),
      });
      // Read at most a little of the answer, so the connection can be reused.
      await res.body.dump({ limit: 64 * 1024 }).catch(() => {});
      if (res.statusCode < 200 || res.statusCode > 299) {
        throw new Error(res.statusCode >= 300 && res.statusCode < 400 ? `HTTP ${res.statusCode} (redirects are not followed)` : `HTTP ${res.statusCode}`);
      }
    },
    close: () => agent.close(),
  };
}

/** An error as a delivery records it. */
export function webhookError(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: { message?: string } };
  if (e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT') {
    return 'timed out';
  }
  const msg = e.message && e.message !== 'fetch failed' ? e.message : (e.cause?.message ?? String(err));
  return `${e.code ? `${e.code}: ` : ''}${msg}`.replace(/[\r\n]+/g, ' ').slice(0, 300);
}
