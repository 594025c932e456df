// GET /healthz on both listeners: 200 while serving, 503 with a reason while opening or closing.
import type Router from '@koa/router';

export interface Health {
  state: 'opening' | 'ok' | 'closing';
}

export function healthRoute(router: Router, health: Health): void {
  router.get('/healthz', (ctx) => {
    if (health.state === 'ok') {
      ctx.body = { status: 'ok' };
    } else {
      ctx.status = 503;
      ctx.body = { status: health.state, reason: health.state === 'opening' ? 'the database is opening' : 'the satellite is shutting down' };
    }
  });
}
