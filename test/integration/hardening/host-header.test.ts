// SPEC §4: the admin listener serves only its own addresses, localhost, publicOrigin's host and
// admin.allowedHosts; any other Host is 421 HOST_NOT_ALLOWED before any handler and counts
// toward no throttle. The control socket is exempt.
import t from 'tap';
import nodeHttp from 'node:http';
import { startSatellite } from '../../helpers/satellite.ts';
import { initialPassword } from '../../helpers/admin.ts';

/** One request with exactly this Host header (undici and fetch set their own). */
function raw(base: string, method: string, path: string, host: string | null, body?: unknown): Promise<{ status: number; body: any }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = nodeHttp.request(
      { host: url.hostname, port: url.port, method, path, setHost: false, headers: { ...(host === null ? {} : { host }), ...(data ? { 'content-type': 'application/json' } : {}) } },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: text.startsWith('{') ? JSON.parse(text) : text }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

t.test('a foreign Host is 421 on every path, logins included, and counts toward no throttle', async (t) => {
  const sat = await startSatellite(t, { config: { 'admin.publicOrigin': 'https://outpost.example.com', 'admin.allowedHosts': ['ops.lab.example', '10.1.2.3'] } });
  const port = new URL(sat.admin).port;
  for (const path of ['/healthz', '/metrics', '/', '/api/me', '/api/openapi.json']) {
    const res = await raw(sat.admin, 'GET', path, `rebind.attacker.example:${port}`);
    t.equal(res.status, 421, path);
    t.same(res.body.error?.code, 'HOST_NOT_ALLOWED', path);
  }
  // Node refuses a request without Host itself (400) before any handler: refused all the same.
  t.ok([400, 421].includes((await raw(sat.admin, 'GET', '/healthz', null)).status), 'no Host at all');
  for (let i = 0; i < 8; i++) {
    const res = await raw(sat.admin, 'POST', '/api/login', `rebind.attacker.example:${port}`, { username: 'admin', password: 'wrong password here' });
    t.equal(res.status, 421);
  }
  const login = await raw(sat.admin, 'POST', '/api/login', `127.0.0.1:${port}`, { username: 'admin', password: initialPassword(sat) });
  t.equal(login.status, 200, 'the refused attempts throttled nothing: admin still logs in');

  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'LOCALHOST', 'localhost.', `[::1]:${port}`, 'outpost.example.com', 'ops.lab.example:443', '10.1.2.3']) {
    t.equal((await raw(sat.admin, 'GET', '/healthz', host)).status, 200, host);
  }
  for (const host of ['outpost.example.com.attacker.example', '127.0.0.2', 'example.com', '[::2]', 'localhost:80@evil']) {
    t.equal((await raw(sat.admin, 'GET', '/healthz', host)).status, 421, host);
  }
});

t.test('the control socket answers whatever the Host', async (t) => {
  const sat = await startSatellite(t);
  const res = await new Promise<number>((resolve, reject) => {
    const req = nodeHttp.request({ socketPath: sat.socketPath, path: '/api/account', setHost: false, headers: { host: 'rebind.attacker.example' } }, (r) => {
      r.resume();
      r.on('end', () => resolve(r.statusCode!));
    });
    req.on('error', reject);
    req.end();
  });
  t.equal(res, 200);
});
