// `npm run build`: what the installed package runs, in dist/ — the daemon and the exchange
// compiled to JavaScript (tsc, `.ts` specifiers rewritten to `.js`), the dashboard built once
// into dist/web-ui/assets/, and a package.json naming the version and the module type for the
// compiled code to read. Nothing in dist/ needs TypeScript, tsx or esbuild at run time.
import { execFileSync } from 'node:child_process';
import { readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDashboard } from '../web-ui/build.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = path.join(ROOT, 'dist');

const started = Date.now();
await rm(DIST, { recursive: true, force: true });
execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });

const assets = path.join(DIST, 'web-ui', 'assets');
await mkdir(assets, { recursive: true });
for (const [name, asset] of await buildDashboard()) await writeFile(path.join(assets, name.slice(1)), asset.body);

const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
await writeFile(path.join(DIST, 'package.json'), JSON.stringify({ name: pkg.name, version: pkg.version, private: true, type: 'module' }, null, 2) + '\n');
console.log(`dist/ built in ${((Date.now() - started) / 1000).toFixed(1)} s (outpost ${pkg.version})`);
