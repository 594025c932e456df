// The dashboard's files as the admin listener serves them: a fixed set, the right types, a strict
// CSP, caching by content, nothing else reachable (no traversal), and not on the control socket.
import t from 'tap';
import { request } from 'undici';
import { control } from '../helpers/control.ts';
import { startSatellite } from '../helpers/satellite.ts';
import { CONTENT_SECURITY_POLICY } from '../../daemon/http/routes/ui.ts';
import { bundleInputs } from '../../web-ui/build.ts';
import { ROLE_ACTIONS } from '../../daemon/domain/access/roles.ts';

const sat = await startSatellite(t);

async function get(path: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') {
  const res = await request(`${sat.admin}${path}`, { method, headers });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers as Record<string, string>, body };
}

t.test('/ serves index.html with a strict Content-Security-Policy', async (t) => {
  const res = await get('/');
  t.equal(res.status, 200);
  t.match(res.headers['content-type'], /^text\/html; charset=utf-8/);
  const csp = res.headers['content-security-policy'];
  t.equal(csp, CONTENT_SECURITY_POLICY);
  for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]) {
    t.ok(csp.includes(directive), `CSP has ${directive}`);
  }
  t.notMatch(csp, /unsafe-inline|unsafe-eval|https?:/, 'no inline code, no eval, no outside origin');
  t.equal(res.headers['x-frame-options'], 'DENY');
  t.equal(res.headers['x-content-type-options'], 'nosniff');
  t.equal(res.headers['referrer-policy'], 'no-referrer');
  t.equal(res.headers['cache-control'], 'no-cache', 'the page is revalidated every time');
  const html = res.body.toString();
  t.notMatch(html, /<script(?![^>]*\ssrc=)(?![^>]*\stype="application\/json")[^>]*>/, 'no inline <script> (but the role table, a JSON data block that never runs)');
  t.notMatch(html, /<style|style=/, 'no inline style');
  t.notMatch(html, /https?:\/\//, 'nothing from outside: no CDN, no web font');
  t.match(html, /<script src="\/app\.js\?v=[\w-]{12}" defer><\/script>/);
  t.match(html, /<link rel="stylesheet" href="\/app\.css\?v=[\w-]{12}">/);
});

t.test('app.js and app.css: types, immutable under their versioned URL, no outside reference', async (t) => {
  const html = (await get('/index.html')).body.toString();
  const jsUrl = /src="(\/app\.js\?v=[\w-]+)"/.exec(html)![1]!;
  const cssUrl = /href="(\/app\.css\?v=[\w-]+)"/.exec(html)![1]!;
  const js = await get(jsUrl);
  t.equal(js.status, 200);
  t.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  t.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
  // Text that shows an address is no reference: the device listener's URL built from the page's
  // own host, and the collector form's examples (a private address, `host[:port]`).
  t.notMatch(js.body.toString(), /https?:\/\/(?!www\.w3\.org\/2000\/svg|\$\{|10\.1\.2\.3\b|host\[)/, 'the script names no outside URL (but the SVG namespace)');
  t.notMatch(js.body.toString(), /\binnerHTML\b|\beval\(|new Function\(/, 'no HTML strings, no eval');
  const css = await get(cssUrl);
  t.equal(css.status, 200);
  t.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  t.notMatch(css.body.toString(), /@import|url\(|@font-face/, 'the stylesheet loads nothing');
  const unversioned = await get('/app.js');
  t.equal(unversioned.headers['cache-control'], 'no-cache', 'without the right ?v= it is revalidated');
  const wrong = await get('/app.js?v=old');
  t.equal(wrong.headers['cache-control'], 'no-cache');
  const icon = await get('/favicon.svg');
  t.equal(icon.headers['content-type'], 'image/svg+xml');
});

t.test('ETags answer 304 when the file did not change; HEAD has no body', async (t) => {
  const first = await get('/app.js');
  const etag = first.headers.etag!;
  t.match(etag, /^"[\w-]+"$/);
  const again = await get('/app.js', { 'if-none-match': etag });
  t.equal(again.status, 304);
  t.equal(again.body.length, 0);
  const other = await get('/app.js', { 'if-none-match': '"something-else"' });
  t.equal(other.status, 200);
  const head = await get('/', {}, 'HEAD');
  t.equal(head.status, 200);
  t.equal(head.body.length, 0);
  t.match(head.headers['content-type'], /text\/html/);
});

t.test('only the built files are served: no traversal, no sources, no listing', async (t) => {
  const tries = [
    '/../package.json',
    '/..%2fpackage.json',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/app.js/../../package.json',
    '/web-ui/src/main.ts',
    '/src/main.ts',
    '/main.ts',
    '/app.js.map',
    '/index.htm',
    '/initial-admin-password',
    '/data/initial-admin-password',
    '//etc/passwd',
    '/favicon.ico',
    '/dist/app.js',
  ];
  for (const path of tries) {
    const res = await get(path);
    t.equal(res.status, 404, `${path} → 404`);
    t.notMatch(res.body.toString(), /"name":\s*"outpost"|root:x:0/, `${path} leaks nothing`);
  }
});

t.test('the control socket does not serve the dashboard', async (t) => {
  const res = await control(sat.socketPath, 'GET', '/');
  t.equal(res.status, 404);
});

t.test('app.js takes nothing of the daemon: its API types are imported as types and leave nothing', async (t) => {
  const inputs = await bundleInputs();
  t.ok(inputs.includes('web-ui/src/main.ts'), 'the inputs are named from the repository root');
  t.same(
    inputs.filter((f) => !f.startsWith('web-ui/src/')),
    [],
    'no daemon module, and no package, reaches the browser',
  );
});

t.test('index.html carries the role table as data, as the daemon has it, in one JSON block', async (t) => {
  const html = (await get('/')).body.toString();
  const blocks = [...html.matchAll(/<script type="application\/json" id="outpost-roles">([^<]*)<\/script>/g)];
  t.equal(blocks.length, 1, 'one role table');
  const table = JSON.parse(blocks[0]![1]!) as Record<string, string[]>;
  t.same(
    table,
    Object.fromEntries(Object.entries(ROLE_ACTIONS).map(([role, actions]) => [role, [...actions]])),
    'role → actions, as daemon/domain/access/roles.ts has it',
  );
});
