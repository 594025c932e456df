// Errors koa emits outside the error middleware (a request stream that fails while a body is
// read, a client that resets while the answer is written): koa's default prints them to stderr
// as indented plain text. Here they go to the JSON log instead — at debug level when the client
// broke the connection or sent malformed HTTP (nothing the operator can act on), else as errors.
import type Koa from 'koa';
import type { Logger } from 'pino';

const CLIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_DESTROYED']);

export function isClientFault(err: { code?: unknown; message?: unknown }): boolean {
  const code = typeof err.code === 'string' ? err.code : '';
  return CLIENT_CODES.has(code) || code.startsWith('HPE_') || /^Parse Error/.test(String(err.message ?? '')) || err.message === 'aborted';
}

/** Silences koa's own printing and logs what it would have printed, as one JSON line. */
export function logAppErrors(app: Koa, log: Logger): void {
  app.silent = true;
  app.on('error', (err: Error & { code?: string; status?: number; expose?: boolean }, ctx?: Koa.Context) => {
    const where = ctx ? { method: ctx.method, path: ctx.path } : {};
    if (isClientFault(err) || err.expose || err.status === 404) log.debug({ ...where, code: err.code, reason: err.message }, 'client connection error');
    else log.error({ ...where, err }, 'request failed');
  });
}
