// GET /api/openapi.json: the API document, without a session.
import type Router from '@koa/router';
import { openApiDocument } from '../openapi.ts';

export function openApiRoutes(deps: { version: string }) {
  let doc: string | null = null;
  return (router: Router) => {
    router.get('/api/openapi.json', (ctx) => {
      doc ??= JSON.stringify(openApiDocument(deps.version));
      ctx.type = 'application/json';
      ctx.body = doc;
    });
  };
}
