// GET /healthz on both listeners: 200 while serving, 503 with a reason while opening or closing
// and while the store cannot write.
import type Router from '@koa/router';

export interface Health {
  state: 'opening' | 'ok' | 'closing';
  /** False while the store cannot write (SPEC §3: a full disk). */
  storage?: () => boolean;
}

export function healthRoute(router: Router, health: Health): void {
  router.get('/healthz', (ctx) => {
    if (health.state === 'ok' && health.storage?.() === false) {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', reason: 'STORAGE_UNAVAILABLE' };
    } else if (health.state === 'ok') {
      ctx.body = { status: 'ok' };
    } else {
      ctx.status = 503;
      ctx.body = { status: health.state, reason: health.state === 'opening' ? 'the database is opening' : 'the satellite is shutting down' };
    }
  });
}
