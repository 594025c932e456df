// Every line the daemon writes is one JSON object, whatever clients send: malformed HTTP (bad
// Transfer-Encoding, conflicting lengths, broken chunks) and clients that reset the connection
// mid-request or mid-answer. A real daemon, raw bytes over node:net.
import t from 'tap';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { daemonEnv, startDaemon } from '../../helpers/process.ts';
import { tempDir } from '../../helpers/tmp.ts';

/** Sends `bytes`, reads for a moment, then closes (or resets, when `reset`). */
async function send(url: string, bytes: string | Buffer, opts: { reset?: boolean; waitMs?: number } = {}): Promise<string> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  let answer = '';
  socket.on('data', (c) => (answer += c));
  socket.on('error', () => {});
  await new Promise((r) => socket.once('connect', r));
  socket.write(bytes);
  await sleep(opts.waitMs ?? 100);
  if (opts.reset) socket.resetAndDestroy();
  else socket.end();
  await sleep(20);
  return answer;
}

t.test('malformed HTTP and resets leave only JSON lines in the daemon\'s output', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const d = await startDaemon(t, daemonEnv(dataDir, { OUTPOST_LOG_LEVEL: 'debug' }));
  let raw = d.output.join('\n') + '\n';
  d.child.stdout!.on('data', (c) => (raw += c));
  d.child.stderr!.on('data', (c) => (raw += c));
  const { host } = new URL(d.device);
  const adminHost = new URL(d.admin).host;
  const cases: Array<[string, string, string | Buffer, { reset?: boolean; waitMs?: number }?]> = [
    ['bad Transfer-Encoding', d.device, `POST /v1/reports HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nTransfer-Encoding: bogus\r\n\r\n{}`],
    ['chunked twice', d.device, `POST /v1/register HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`],
    ['length and chunked', d.device, `POST /v1/register HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`],
    ['broken chunk', d.device, `POST /v1/register HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n`],
    ['header without colon', d.device, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nno colon here\r\n\r\n`],
    ['not HTTP', d.device, Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x01, 0x00, 0x00, 0x00, 0x0a, 0x0d])],
    ['reset mid-body', d.device, `POST /v1/register HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"token":"`, { reset: true }],
    ['reset mid-chunked-body', d.device, `POST /v1/register HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{"token":"abc`, { reset: true }],
    ['admin: reset mid-body', d.admin, `POST /api/login HTTP/1.1\r\nHost: ${adminHost}\r\nContent-Type: application/json\r\nContent-Length: 9000\r\n\r\n{"user`, { reset: true }],
    ['admin: reset mid-answer', d.admin, `GET /assets/app.js HTTP/1.1\r\nHost: ${adminHost}\r\n\r\nGET /api/openapi.json HTTP/1.1\r\nHost: ${adminHost}\r\n\r\n`, { reset: true, waitMs: 1 }],
    ['admin: bad Transfer-Encoding', d.admin, `POST /api/login HTTP/1.1\r\nHost: ${adminHost}\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip\r\n\r\n{}`],
  ];
  for (let round = 0; round < 3; round++) {
    for (const [label, url, bytes, opts] of cases) {
      await send(url, bytes, opts).catch((err: Error) => t.fail(`${label}: ${err.message}`));
    }
  }
  await sleep(300);
  t.equal(d.child.exitCode, null, 'the daemon is still running');
  const lines = raw.split('\n').filter((l) => l.length > 0);
  const notJson = lines.filter((l) => {
    try {
      const v = JSON.parse(l);
      return v === null || typeof v !== 'object' || Array.isArray(v);
    } catch {
      return true;
    }
  });
  t.same(notJson, [], `every one of ${lines.length} lines is a JSON object`);
});
