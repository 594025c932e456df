// The one error middleware: refusals become the JSON error body; anything else is a 500 whose
// details are logged once and never sent.
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { OutpostError, errorBody } from '../errors.ts';
import { isStorageError, storageUnavailable } from '../store/writer.ts';

export function errorMiddleware(log: Logger, onRefusal?: (code: string) => void) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new OutpostError('NOT_FOUND', 'No such resource.');
      }
    } catch (err) {
      // A read while the database is being reopened, or a write the disk refused outside the writer.
      const known = err instanceof OutpostError ? err : isStorageError(err) ? storageUnavailable(err) : null;
      const status = known?.status ?? 500;
      const code = known?.code ?? 'INTERNAL';
      if (status >= 500 && !known?.expose) {
        log.error({ err, method: ctx.method, path: ctx.path }, 'request failed');
      }
      onRefusal?.(code);
      ctx.status = status;
      for (const [k, v] of Object.entries(known?.headers ?? {})) ctx.set(k, v);
      ctx.body = errorBody(code, known?.expose ? known.message : 'The satellite could not complete the request.');
    }
  };
}
