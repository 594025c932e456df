// The dashboard's files at `/`: a fixed set of built files (no path ever reaches the disk), with
// a strict Content-Security-Policy, ETags, and immutable caching for the versioned URLs.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Dashboard } from '../../../web-ui/build.ts';

/** Same-origin only: no inline script or style, no outside request, never framed. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** URL path → built file. `/` is the page; nothing else is served. */
const FILES: Record<string, string> = {
  '/': '/index.html',
  '/index.html': '/index.html',
  '/app.js': '/app.js',
  '/app.css': '/app.css',
  '/favicon.svg': '/favicon.svg',
};

export function uiRoutes(deps: { dashboard: () => Promise<Dashboard> }) {
  return (router: Router) => {
    for (const [route, file] of Object.entries(FILES)) {
      router.get(route, (ctx) => serve(ctx, deps.dashboard, file));
    }
  };
}

async function serve(ctx: Context, dashboard: () => Promise<Dashboard>, file: string): Promise<void> {
  const asset = (await dashboard()).get(file);
  if (!asset) return; // falls through to the 404 answer
  ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
  ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
  // index.html names the assets with `?v=<content hash>`: those URLs never change meaning.
  const versioned = file !== '/index.html' && ctx.query.v === asset.version;
  ctx.set('Cache-Control', versioned ? 'public, max-age=31536000, immutable' : 'no-cache');
  ctx.set('ETag', asset.etag);
  ctx.type = asset.type;
  if (ifNoneMatch(ctx.get('If-None-Match'), asset.etag)) {
    ctx.status = 304;
    return;
  }
  ctx.body = asset.body;
}

function ifNoneMatch(header: string, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}
