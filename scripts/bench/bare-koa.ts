// The baseline: koa + router, parses the same JSON body and answers 202. Run as its own process
// (`node --import tsx scripts/bench/bare-koa.ts`), it prints its URL. Not a bench case itself.
import Koa from 'koa';
import Router from '@koa/router';
import getRawBody from 'raw-body';

export default async function (): Promise<void> {
  console.error('bare-koa is the baseline server used by the ingest case; run "npm run bench -- ingest"');
}

if (process.argv[1]?.endsWith('bare-koa.ts') && process.argv[2] === 'serve') {
  const app = new Koa();
  const router = new Router();
  router.post('/v1/reports', async (ctx) => {
    const body = JSON.parse(await getRawBody(ctx.req, { limit: 65536, encoding: 'utf8' }));
    ctx.status = 202;
    ctx.body = { reportId: body.reportId, receivedAt: new Date().toISOString(), duplicate: false };
  });
  app.use(router.routes());
  const server = app.listen(0, '127.0.0.1', () => {
    const a = server.address() as { port: number };
    console.log(`bare koa on http://127.0.0.1:${a.port}`);
  });
}
