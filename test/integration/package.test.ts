// The package as an admin gets it (SPEC §12): `npm pack` builds the tarball, a global install
// into a temporary prefix gets the shrinkwrapped runtime dependencies only, and the installed
// `outpost` prints its version and serves — compiled JavaScript and the prebuilt dashboard,
// with no TypeScript loader and no bundler anywhere in the installed tree.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { daemonEnv, startDaemon } from '../helpers/process.ts';
import { tempDir } from '../helpers/tmp.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const NPM_ENV = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

t.test('npm pack gives a tarball that installs globally and serves', async (t) => {
  const dir = tempDir(t, 'op-pkg-');
  const { stdout } = await run('npm', ['pack', '--pack-destination', dir, '--json'], { cwd: ROOT, env: NPM_ENV, maxBuffer: 64 << 20 });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  t.equal(packed!.filename, `outpost-${VERSION}.tgz`);
  const files = packed!.files.map((f) => f.path);
  t.ok(files.includes('npm-shrinkwrap.json'), 'the tarball carries npm-shrinkwrap.json');
  t.ok(files.includes('dist/web-ui/assets/index.html'), 'the tarball carries the prebuilt dashboard');
  t.same(files.filter((f) => f.endsWith('.ts')), [], 'no TypeScript sources in the tarball');
  t.notOk(existsSync(path.join(ROOT, 'npm-shrinkwrap.json')), 'the checkout keeps one lock file after packing');

  // --prefer-offline: the packages npm ci put in the cache are used; the registry only for misses.
  const prefix = path.join(dir, 'prefix');
  await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', path.join(dir, packed!.filename)], { env: NPM_ENV, maxBuffer: 64 << 20 });
  const installed = path.join(prefix, 'lib', 'node_modules', 'outpost');
  const modules = readdirSync(path.join(installed, 'node_modules'));
  for (const dev of ['tsx', 'esbuild', 'typescript', 'tap']) t.notOk(modules.includes(dev), `${dev} is not installed with the package`);
  t.ok(modules.includes('level') && modules.includes('koa'), 'the runtime dependencies are');

  // The bin link npm made, found through PATH as an admin would run it.
  const env = { ...daemonEnv(path.join(dir, 'data')), PATH: `${path.join(prefix, 'bin')}:${path.dirname(process.execPath)}:${process.env.PATH}` };
  const version = await run('outpost', ['--version'], { env });
  t.match(version.stdout, new RegExp(`^outpost ${VERSION.replaceAll('.', '\\.')} \\(store format \\d+\\)\\n$`));

  const daemon = await startDaemon(t, env, [], path.join(installed, 'bin', 'outpost.js'));
  for (const base of [daemon.device, daemon.admin]) {
    const res = await fetch(`${base}/healthz`);
    t.equal(res.status, 200, `${base}/healthz`);
    t.same(await res.json(), { status: 'ok' });
  }
  const page = await (await fetch(`${daemon.admin}/`)).text();
  const script = /src="(\/app\.js\?v=[^"]+)"/.exec(page)?.[1];
  t.ok(script, 'the dashboard page names its script');
  const js = await fetch(`${daemon.admin}${script}`);
  t.equal(js.status, 200, 'the prebuilt script is served');
  t.ok((await js.text()).length > 10_000);
  daemon.child.kill('SIGTERM');
  t.equal((await daemon.exited).code, 0, 'stops cleanly on SIGTERM');
});
