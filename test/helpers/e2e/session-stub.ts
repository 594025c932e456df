// TEST-ONLY stand-in for the sessions backend (SPEC §4 login/logout/me and the own-password
// change), used solely while the daemon answers 404 to POST /api/login. It sits in front of a
// real satellite: the dashboard's files come from the real admin listener, every other /api
// call goes to the real control socket (full rights, as the initial sa-admin would have).
// Once the daemon has sessions, the harness stops using this file; delete it then.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { once } from 'node:events';
import type { Test } from 'tap';
import { Agent, request } from 'undici';
import type { TestSatellite } from '../satellite.ts';

interface StubUser {
  id: string;
  username: string;
  password: string;
  mustChangePassword: boolean;
}

const json = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};
const refuse = (res: http.ServerResponse, status: number, code: string, message: string) => json(res, status, { error: { code, message } });

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startSessionStub(t: Test, sat: TestSatellite, initialPassword: string): Promise<string> {
  const admin = [...sat.ctx.state.users.values()].find((u) => u.username === 'admin');
  if (!admin) throw new TypeError('the satellite has no initial admin');
  const user: StubUser = { id: admin.id, username: 'admin', password: initialPassword, mustChangePassword: true };
  const sessions = new Set<string>();
  const socket = new Agent({ connect: { socketPath: sat.socketPath } });
  const adminOrigin = new URL(sat.admin);

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) refuse(res, 500, 'INTERNAL', String(err));
      else res.destroy();
    });
  });

  const sessionOf = (req: http.IncomingMessage): string | null => {
    const m = /(?:^|;\s*)stub_session=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '');
    return m && sessions.has(m[1]!) ? m[1]! : null;
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stub');
    const method = req.method ?? 'GET';
    if (!url.pathname.startsWith('/api/')) return forward(req, res, `${adminOrigin.origin}${url.pathname}${url.search}`);

    const sid = sessionOf(req);
    // §4: a state-changing request with a session cookie carries the page's own Origin.
    if (sid && !['GET', 'HEAD'].includes(method) && req.headers.origin !== `http://${req.headers.host}`) {
      return refuse(res, 403, 'ORIGIN_MISMATCH', 'The request did not come from this origin.');
    }
    if (method === 'POST' && url.pathname === '/api/login') {
      const body = JSON.parse((await readBody(req)).toString() || '{}') as { username?: string; password?: string };
      if (body.username?.toLowerCase() !== user.username || body.password !== user.password) {
        return refuse(res, 401, 'UNAUTHENTICATED', 'Wrong username or password.');
      }
      const id = randomBytes(18).toString('base64url');
      sessions.add(id);
      res.setHeader('set-cookie', `stub_session=${id}; Path=/; HttpOnly; SameSite=Strict`);
      return json(res, 200, { username: user.username });
    }
    if (method === 'POST' && url.pathname === '/api/logout') {
      if (sid) sessions.delete(sid);
      res.setHeader('set-cookie', 'stub_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict');
      return json(res, 200, {});
    }
    if (!sid) return refuse(res, 401, 'UNAUTHENTICATED', 'Log in first.');
    if (method === 'GET' && url.pathname === '/api/me') {
      return json(res, 200, { id: user.id, username: user.username, roles: [{ role: 'sa-admin', virtualAccount: null }], mustChangePassword: user.mustChangePassword });
    }
    if (method === 'POST' && url.pathname === `/api/users/${user.id}/password`) {
      const body = JSON.parse((await readBody(req)).toString() || '{}') as { currentPassword?: string; newPassword?: string };
      if (body.currentPassword !== user.password) return refuse(res, 400, 'INVALID_REQUEST', 'The current password is wrong.');
      if (typeof body.newPassword !== 'string' || body.newPassword.length < 12) return refuse(res, 400, 'INVALID_REQUEST', 'A password has at least 12 characters.');
      user.password = body.newPassword;
      user.mustChangePassword = false;
      return json(res, 200, {});
    }
    if (user.mustChangePassword) return refuse(res, 403, 'PASSWORD_CHANGE_REQUIRED', 'Change your password first.');
    return forwardToSocket(req, res, `${url.pathname}${url.search}`);
  }

  async function forwardToSocket(req: http.IncomingMessage, res: http.ServerResponse, pathAndQuery: string): Promise<void> {
    const body = ['GET', 'HEAD'].includes(req.method ?? 'GET') ? undefined : await readBody(req);
    const answer = await request(`http://localhost${pathAndQuery}`, {
      method: req.method as 'GET',
      dispatcher: socket,
      headers: req.headers['content-type'] ? { 'content-type': req.headers['content-type'] } : {},
      body,
    });
    const buf = Buffer.from(await answer.body.arrayBuffer());
    // The token page's VA picker, until /api/virtual-accounts exists on this branch.
    if (answer.statusCode === 404 && req.method === 'GET' && pathAndQuery.split('?')[0] === '/api/virtual-accounts') {
      const items = [...sat.ctx.state.vas.values()].map((va) => ({ id: va.id, name: va.name, path: sat.ctx.state.vaPath(va.id), parentId: va.parentId, tags: va.tags }));
      return json(res, 200, { items, next: null });
    }
    res.writeHead(answer.statusCode, pick(answer.headers));
    res.end(buf);
  }

  async function forward(req: http.IncomingMessage, res: http.ServerResponse, url: string): Promise<void> {
    const headers: Record<string, string> = {};
    if (req.headers['if-none-match']) headers['if-none-match'] = req.headers['if-none-match'];
    const answer = await request(url, { method: req.method as 'GET', headers });
    const buf = Buffer.from(await answer.body.arrayBuffer());
    res.writeHead(answer.statusCode, pick(answer.headers));
    res.end(buf);
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await socket.close();
  });
  const addr = server.address() as { port: number };
  return `http://127.0.0.1:${addr.port}`;
}

function pick(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || ['connection', 'keep-alive', 'transfer-encoding', 'content-length'].includes(k)) continue;
    out[k] = v;
  }
  return out;
}
