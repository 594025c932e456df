// The transport's retry delays and its failures, against real loopback servers.
import t from 'tap';
import http from 'node:http';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createTransport, retryDelay, TransportError } from '../../../exchange/transport.ts';
import { tempDir } from '../../helpers/tmp.ts';

t.test('retryDelay doubles from the base, is capped, and jitters within the upper half of each step', async (t) => {
  const opts = (r: number) => ({ baseMs: 1000, capMs: 60_000, random: () => r });
  t.same([1, 2, 3, 4].map((n) => retryDelay(n, opts(0.999999))), [1000, 2000, 4000, 8000], 'at most the step');
  t.same([1, 2, 3, 4].map((n) => retryDelay(n, opts(0))), [500, 1000, 2000, 4000], 'at least half the step');
  t.equal(retryDelay(20, opts(0.999999)), 60_000, 'capped');
  t.equal(retryDelay(1000, opts(0)), 30_000, 'capped at any attempt, no overflow');
  const seen = new Set(Array.from({ length: 50 }, () => retryDelay(3, { baseMs: 1000 })));
  t.ok(seen.size > 10, 'jitter spreads retries');
  const first = retryDelay(1);
  t.ok(first >= 15_000 && first <= 30_000, `defaults: a 30 s first step (${first} ms)`);
  t.equal(retryDelay(30, { random: () => 0.9999999999 }), 3_600_000, 'defaults: capped at an hour');
});

t.test('TransportError.retryable: network and 5xx yes, 4xx, config and size no', async (t) => {
  t.ok(new TransportError('unreachable', 'x').retryable);
  t.ok(new TransportError('timeout', 'x').retryable);
  t.ok(new TransportError('proxy', 'x').retryable);
  t.ok(new TransportError('http', 'x', { status: 503 }).retryable);
  t.ok(new TransportError('http', 'x', { status: 429 }).retryable);
  t.notOk(new TransportError('http', 'x', { status: 401 }).retryable);
  t.notOk(new TransportError('config', 'x').retryable);
  t.notOk(new TransportError('too-large', 'x').retryable);
});

t.test('postBundle saves a 2xx answer, refuses one over the size limit, reads the error JSON of others', async (t) => {
  const dir = tempDir(t);
  const body = path.join(dir, 'body.zip');
  await writeFile(body, 'PK-not-really');
  let seen: { type?: string; length?: string; url?: string; body?: string } = {};
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      seen = { type: req.headers['content-type'], length: req.headers['content-length'], url: req.url, body: data };
      if (req.url === '/base/v1/big') res.writeHead(200, { 'content-type': 'application/zip' }).end(Buffer.alloc(5000));
      else if (req.url === '/base/v1/gone') res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>no</h1>');
      else res.writeHead(200, { 'content-type': 'application/zip' }).end('answer');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/base`;
  const transport = await createTransport({ url, timeoutSeconds: 2, maxResponseBytes: 1000 });
  t.teardown(() => transport.close());

  await transport.postBundle('/v1/ok', body, path.join(dir, 'out.zip'));
  t.same(seen, { type: 'application/zip', length: '13', url: '/base/v1/ok', body: 'PK-not-really' }, 'the path is under the base URL');
  await t.rejects(transport.postBundle('/v1/big', body, path.join(dir, 'big.zip')), { kind: 'too-large', message: /larger than 1000 bytes/ });
  await t.rejects(transport.postBundle('/v1/gone', body, path.join(dir, 'gone.zip')), { kind: 'http', status: 404, cloudCode: null, message: /answered 404 \(no error details\)/ });
  t.equal(transport.proxy, null);
});

t.test('configuration failures: an unreadable CA file, a proxy URL with its password hidden', async (t) => {
  await t.rejects(createTransport({ url: 'https://cloud.example', caFile: '/nonexistent/ca.pem', timeoutSeconds: 1, maxResponseBytes: 1 }), {
    kind: 'config',
    message: /exchange\.caFile \/nonexistent\/ca\.pem cannot be read \(ENOENT\)/,
  });
  const viaEnv = await createTransport({ url: 'https://cloud.example', env: { HTTPS_PROXY: 'http://user:secret@127.0.0.1:3128' }, timeoutSeconds: 1, maxResponseBytes: 1 });
  t.equal(viaEnv.proxy, 'http://user:***@127.0.0.1:3128');
  await viaEnv.close();
  const configured = await createTransport({ url: 'https://cloud.example', proxy: 'http://127.0.0.1:8888', env: { HTTPS_PROXY: 'http://127.0.0.1:1' }, timeoutSeconds: 1, maxResponseBytes: 1 });
  t.equal(configured.proxy, 'http://127.0.0.1:8888', 'exchange.proxy wins over HTTPS_PROXY');
  await configured.close();
});

t.test('NO_PROXY exempts the cloud from the environment’s proxy, never from exchange.proxy', async (t) => {
  const make = async (env: NodeJS.ProcessEnv, proxy?: string) => {
    const transport = await createTransport({ url: 'https://cloud.example.com:8443/base', env, proxy, timeoutSeconds: 1, maxResponseBytes: 1 });
    await transport.close();
    return transport.proxy;
  };
  const HTTPS_PROXY = 'http://127.0.0.1:3128';
  t.equal(await make({ HTTPS_PROXY, NO_PROXY: '.example.com' }), null, 'NO_PROXY names the cloud’s domain');
  t.equal(await make({ https_proxy: HTTPS_PROXY, no_proxy: 'cloud.example.com:8443' }), null, 'lower-case names, a port');
  t.equal(await make({ HTTPS_PROXY, NO_PROXY: 'localhost,127.0.0.1' }), HTTPS_PROXY, 'a NO_PROXY that does not name the cloud');
  t.equal(await make({ HTTPS_PROXY, NO_PROXY: 'cloud.example.com:443' }), HTTPS_PROXY, '...another port of it');
  t.equal(await make({ HTTPS_PROXY, NO_PROXY: '', no_proxy: '*' }), HTTPS_PROXY, 'NO_PROXY, even empty, is read before no_proxy');
  t.equal(await make({ NO_PROXY: '*' }, 'http://127.0.0.1:8888'), 'http://127.0.0.1:8888', 'an exchange.proxy is always used');
});
