// Builds the dashboard: web-ui/src → index.html, app.js, app.css, favicon.svg. An installed
// package serves the files `npm run build` wrote beside the compiled module (./assets/); a
// checkout has none there and builds in memory with esbuild (~100 ms), so the daemon serves a
// fresh build without a build step. esbuild is imported only then: the package does not ship it.
// Run directly (`npm run build:ui [-- --out DIR]`) it writes the files to DIR (web-ui/dist/).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type * as esbuild from 'esbuild';
import { ROLE_ACTIONS } from '../daemon/domain/access/roles.ts';

const SRC = fileURLToPath(new URL('./src/', import.meta.url));
const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Where `npm run build` puts the prebuilt files: beside dist/web-ui/build.js, never in a checkout. */
const PREBUILT = fileURLToPath(new URL('./assets/', import.meta.url));
const FILES: Record<string, string> = {
  '/index.html': 'text/html; charset=utf-8',
  '/app.js': 'text/javascript; charset=utf-8',
  '/app.css': 'text/css; charset=utf-8',
  '/favicon.svg': 'image/svg+xml',
};

export interface Asset {
  body: Buffer;
  type: string;
  /** A strong ETag: the content's hash, quoted. */
  etag: string;
  /** The short content hash index.html uses as `?v=` to make the URL immutable. */
  version: string;
}

/** The built files by URL path (`/index.html`, `/app.js`, …): the only files the daemon serves. */
export type Dashboard = ReadonlyMap<string, Asset>;

/**
 * The role table as data for index.html (web-ui/src/session.ts reads it): role → actions. A
 * JSON data block is never run, so the CSP's `script-src 'self'` holds; `<` is escaped so no
 * value can close the element.
 */
export function roleTableJson(roles: Readonly<Record<string, Iterable<string>>> = ROLE_ACTIONS): string {
  const table = Object.fromEntries(Object.entries(roles).map(([role, actions]) => [role, [...actions]]));
  return JSON.stringify(table).replaceAll('<', '\\u003c');
}

const asset = (body: Buffer, type: string): Asset => {
  const hash = createHash('sha256').update(body).digest('base64url');
  return { body, type, etag: `"${hash.slice(0, 27)}"`, version: hash.slice(0, 12) };
};

const options = (minify: boolean) =>
  ({
    entryPoints: [
      { in: path.join(SRC, 'main.ts'), out: 'app' },
      { in: path.join(SRC, 'app.css'), out: 'app' },
    ],
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    outdir: 'out',
    format: 'iife',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  }) satisfies esbuild.BuildOptions;

export async function buildDashboard(opts: { minify?: boolean } = {}): Promise<Dashboard> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build(options(opts.minify ?? true));
  const out = new Map<string, Asset>();
  for (const file of result.outputFiles) {
    const name = path.basename(file.path);
    const type = name.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8';
    out.set(`/${name}`, asset(Buffer.from(file.contents), type));
  }
  const js = out.get('/app.js');
  const css = out.get('/app.css');
  if (!js || !css) throw new TypeError('the dashboard build produced no app.js or app.css');
  const favicon = asset(await readFile(path.join(SRC, 'favicon.svg')), 'image/svg+xml');
  out.set('/favicon.svg', favicon);
  const template = await readFile(path.join(SRC, 'index.html'), 'utf8');
  const html = template
    .replaceAll('{{app.js}}', `/app.js?v=${js.version}`)
    .replaceAll('{{app.css}}', `/app.css?v=${css.version}`)
    .replaceAll('{{favicon.svg}}', `/favicon.svg?v=${favicon.version}`)
    .replaceAll('{{roles}}', () => roleTableJson());
  out.set('/index.html', asset(Buffer.from(html), 'text/html; charset=utf-8'));
  return out;
}

/**
 * The source files the bundle is made of, relative to the repository root: what of the daemon
 * reaches the browser (type-only imports never do).
 */
export async function bundleInputs(): Promise<string[]> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({ ...options(true), metafile: true });
  return Object.keys(result.metafile.inputs).sort();
}

/** The files a build wrote to `dir` (index.html already names the others by their hashes). */
export async function readDashboard(dir: string): Promise<Dashboard> {
  const out = new Map<string, Asset>();
  for (const [name, type] of Object.entries(FILES)) out.set(name, asset(await readFile(path.join(dir, name.slice(1))), type));
  return out;
}

/** The prebuilt files when this is an installed package, else a fresh in-memory build. */
export function loadDashboard(): Promise<Dashboard> {
  return existsSync(path.join(PREBUILT, 'index.html')) ? readDashboard(PREBUILT) : buildDashboard();
}

/** Builds once, on first use; a failed build is retried on the next request. */
export function lazyDashboard(build: () => Promise<Dashboard> = loadDashboard): () => Promise<Dashboard> {
  let pending: Promise<Dashboard> | null = null;
  return () => {
    pending ??= build().catch((err: unknown) => {
      pending = null;
      throw err;
    });
    return pending;
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const outDir = values.out ? path.resolve(values.out) : fileURLToPath(new URL('./dist/', import.meta.url));
  const dashboard = await buildDashboard();
  await mkdir(outDir, { recursive: true });
  for (const [name, a] of dashboard) {
    await writeFile(path.join(outDir, name.slice(1)), a.body);
    console.log(`${name.slice(1).padEnd(12)} ${String(a.body.length).padStart(8)} bytes`);
  }
}
