// The package as an admin gets it (SPEC §12): `npm pack` builds the tarball; a global install
// into a temporary prefix gets the shrinkwrapped runtime dependencies only, and the installed
// `outpost` prints its version and serves — compiled JavaScript and the prebuilt dashboard, with
// no TypeScript loader and no bundler in the installed tree. Then scripts/install.sh, as root,
// into a temporary root: the user, config, data dir and unit it makes, `systemd-analyze` on the
// unit, a second run that changes nothing, and `--uninstall` keeping the data.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { daemonEnv, startDaemon } from '../helpers/process.ts';
import { tempDir } from '../helpers/tmp.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const NODE_DIR = path.dirname(process.execPath);
// --prefer-offline: the packages `npm ci` put in the cache are used; the registry only for misses.
const NPM_ENV = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', npm_config_prefer_offline: 'true' };
const isRoot = process.getuid?.() === 0;

const work = tempDir(t, 'op-pkg-');
let tarball = '';

t.before(async () => {
  const { stdout } = await run('npm', ['pack', '--pack-destination', work, '--json'], { cwd: ROOT, env: NPM_ENV, maxBuffer: 64 << 20 });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(work, packed!.filename);
  writeFileSync(path.join(work, 'files.json'), JSON.stringify(packed!.files.map((f) => f.path)));
});

/** Starts the installed daemon on a temporary data dir and checks it answers as SPEC §2 says. */
async function serveInstalled(t: Test, installed: string, dataDir: string) {
  const env = { ...daemonEnv(dataDir), PATH: `${NODE_DIR}:${process.env.PATH}` };
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
}

t.test('npm pack gives outpost-<version>.tgz with a shrinkwrap, compiled code and the dashboard', async (t) => {
  t.equal(path.basename(tarball), `outpost-${VERSION}.tgz`);
  const files = JSON.parse(readFileSync(path.join(work, 'files.json'), 'utf8')) as string[];
  t.ok(files.includes('npm-shrinkwrap.json'), 'the tarball carries npm-shrinkwrap.json');
  t.ok(files.includes('dist/daemon/cli/main.js'), 'the tarball carries the compiled command line');
  t.ok(files.includes('dist/web-ui/assets/index.html'), 'the tarball carries the prebuilt dashboard');
  t.ok(files.includes('scripts/install.sh') && files.includes('scripts/outpost.service'));
  t.same(files.filter((f) => f.endsWith('.ts')), [], 'no TypeScript sources in the tarball');
  t.notOk(existsSync(path.join(ROOT, 'npm-shrinkwrap.json')), 'the checkout keeps one lock file after packing');
});

// As root (CI), scripts/install.sh makes the global install (`npm install --global --prefix`
// into <root>/opt/outpost) and the next test checks the rest of what it did; otherwise npm
// installs into a temporary prefix directly. Either way: one install, as it costs ~40 s.
const root = path.join(work, 'root');
const script = path.join(ROOT, 'scripts', 'install.sh');
let firstRun = '';

t.test('a global install into a temporary prefix: outpost --version and outpost serve', async (t) => {
  const prefix = isRoot ? path.join(root, 'opt', 'outpost') : path.join(work, 'prefix');
  if (isRoot) firstRun = (await run(script, ['--root', root, tarball], { env: NPM_ENV, maxBuffer: 64 << 20 })).stdout;
  else await run('npm', ['install', '-g', '--prefix', prefix, tarball], { env: NPM_ENV, maxBuffer: 64 << 20 });
  const installed = path.join(prefix, 'lib', 'node_modules', 'outpost');
  const modules = readdirSync(path.join(installed, 'node_modules'));
  for (const dev of ['tsx', 'esbuild', 'typescript', 'tap']) t.notOk(modules.includes(dev), `${dev} is not installed with the package`);
  t.ok(modules.includes('level') && modules.includes('koa'), 'the runtime dependencies are');

  // The bin link npm made, found through PATH as an admin would run it.
  const version = await run('outpost', ['--version'], { env: { PATH: `${path.join(prefix, 'bin')}:${NODE_DIR}:${process.env.PATH}` } });
  t.match(version.stdout, new RegExp(`^outpost ${VERSION.replaceAll('.', '\\.')} \\(store format \\d+\\)\\n$`));
  await serveInstalled(t, installed, path.join(work, 'data'));
});

t.test('install.sh as root into a temporary root: what it made, a second run, uninstall', async (t) => {
  if (!isRoot) {
    if (process.env.CI === 'true') t.fail('install.sh must run as root in CI; this test runs as uid ' + process.getuid?.());
    else t.comment('skipped: install.sh needs root (CI runs it as root)');
    return;
  }
  t.match(firstRun, `outpost ${VERSION} installed in ${root}/opt/outpost.`);
  t.match(firstRun, 'next steps:');

  const passwd = readFileSync(path.join(root, 'etc', 'passwd'), 'utf8');
  const user = /^outpost:x:(\d+):(\d+):[^:]*:\/var\/lib\/outpost:\/usr\/sbin\/nologin$/m.exec(passwd);
  t.ok(user, 'the system user outpost, no login');
  const data = statSync(path.join(root, 'var', 'lib', 'outpost'));
  t.equal(data.mode & 0o777, 0o700, '/var/lib/outpost is 0700');
  t.equal(data.uid, Number(user![1]), '/var/lib/outpost belongs to outpost');
  const configFile = path.join(root, 'etc', 'outpost', 'outpost.yaml');
  t.equal(statSync(configFile).mode & 0o777, 0o640, 'the config is 0640');
  t.match(readFileSync(configFile, 'utf8'), /^dataDir: \/var\/lib\/outpost$/m, 'the config names the service data dir');

  const unit = path.join(root, 'etc', 'systemd', 'system', 'outpost.service');
  const unitText = readFileSync(unit, 'utf8');
  t.match(unitText, `ExecStart=${process.execPath} /opt/outpost/lib/node_modules/outpost/bin/outpost.js serve`, 'the unit runs the installed program with this node');
  const verify = await run('systemd-analyze', ['verify', unit]).catch((err: { code: number; stderr: string }) => err);
  t.equal((verify as { code?: number }).code ?? 0, 0, `systemd-analyze verify accepts the unit ${(verify as { stderr: string }).stderr}`);
  const security = await run('systemd-analyze', ['security', '--offline=true', unit]);
  const exposure = Number(/Overall exposure level for outpost\.service: ([\d.]+)/.exec(security.stdout)?.[1]);
  t.ok(exposure <= 2.0, `systemd-analyze security: exposure ${exposure} ≤ 2.0`);

  // Again: nothing reinstalled, the edited config kept.
  appendFileSync(configFile, '# edited by the admin\n');
  const second = await run(script, ['--root', root, tarball], { env: NPM_ENV });
  t.match(second.stdout, `outpost ${VERSION} already installed`);
  t.match(second.stdout, `kept ${configFile}`);
  t.match(readFileSync(configFile, 'utf8'), '# edited by the admin');
  t.equal(readFileSync(path.join(root, 'etc', 'passwd'), 'utf8'), passwd, 'the user is made once');

  writeFileSync(path.join(root, 'var', 'lib', 'outpost', 'keep-me'), 'data');
  const gone = await run(script, ['--root', root, '--uninstall']);
  t.match(gone.stdout, 'kept: the configuration');
  t.notOk(existsSync(path.join(root, 'opt', 'outpost')), 'the program is removed');
  t.notOk(existsSync(unit), 'the unit is removed');
  t.ok(existsSync(path.join(root, 'var', 'lib', 'outpost', 'keep-me')), 'the data is kept');
  t.ok(existsSync(configFile), 'the config is kept');

  const refused = await run(script, ['--root', root, path.join(work, 'nope.tgz')]).catch((err: { code: number; stderr: string }) => err);
  t.equal((refused as { code?: number }).code, 1);
  t.match((refused as { stderr: string }).stderr, /^install\.sh: no such file: .*nope\.tgz\n$/, 'a missing tarball is one line');
});
