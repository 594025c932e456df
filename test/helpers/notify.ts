// Real receivers for notification tests: an SMTP server (smtp-server, STARTTLS and AUTH) with
// fault modes, rsyslogd started with a temporary config writing what it receives to a file,
// a TLS syslog receiver (Debian's rsyslog ships no TLS driver without rsyslog-gnutls), and an
// HTTPS webhook receiver.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { SMTPServer } from 'smtp-server';
import type { Test } from 'tap';

export { makeCertificates } from './exchange.ts';

const openssl = (...args: string[]) => promisify(execFile)('openssl', args);

/** A self-signed certificate for 127.0.0.1 that no test CA signed: the untrusted one. */
export async function makeUntrustedCertificate(dir: string) {
  const f = (name: string) => path.join(dir, name);
  await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('untrusted.key'),
    '-out', f('untrusted.crt'), '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1');
  return { cert: f('untrusted.crt'), key: f('untrusted.key') };
}

/** Waits until `check` answers true, polling. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A free TCP (and, in practice, UDP) port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as net.AddressInfo).port;
  s.close();
  await once(s, 'close');
  return port;
}

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  secure: boolean;
  user: string | null;
}

export type SmtpMode = 'ok' | 'refuse' | 'hang' | 'drop';

/**
 * smtp-server on 127.0.0.1 with STARTTLS and AUTH (`outpost` / `password`). Modes: `refuse`
 * answers 550 to every recipient, `hang` never greets, `drop` closes the connection mid-message.
 * `mode` may be changed while it runs.
 */
export async function startSmtp(t: Test, o: { cert: string; key: string; mode?: SmtpMode; password?: string; implicitTls?: boolean }) {
  const mails: ReceivedMail[] = [];
  const state = { mode: (o.mode ?? 'ok') as SmtpMode, connections: 0 };
  const server: SMTPServer = new SMTPServer({
    secure: o.implicitTls === true,
    key: readFileSync(o.key),
    cert: readFileSync(o.cert),
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: true,
    allowInsecureAuth: false,
    logger: false,
    disabledCommands: [],
    onConnect(_session, cb) {
      state.connections++;
      if (state.mode === 'hang') return; // never greets: the client's greeting timeout must fire
      cb();
    },
    onAuth(auth, _session, cb) {
      if (auth.username === 'outpost' && auth.password === (o.password ?? 'password')) return cb(null, { user: 'outpost' });
      cb(new Error('Invalid username or password'));
    },
    onRcptTo(_address, _session, cb) {
      if (state.mode === 'refuse') {
        const err = new Error('Mailbox unavailable') as Error & { responseCode: number };
        err.responseCode = 550;
        return cb(err);
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => {
        chunks.push(c);
        if (state.mode === 'drop') {
          for (const c of (server as unknown as { connections: Set<{ id: string; _socket: net.Socket }> }).connections) {
            if (c.id === session.id) c._socket.destroy();
          }
        }
      });
      stream.on('end', () => {
        if (state.mode === 'drop') return;
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          secure: session.secure,
          user: (session.user as string | undefined) ?? null,
        });
        cb();
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = ((server as unknown as { server: net.Server }).server.address() as net.AddressInfo).port;
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { port, mails, state };
}

export interface Rsyslog {
  udpPort: number;
  tcpPort: number;
  /** Lines written so far, each `PRI|APP-NAME|MSGID|STRUCTURED-DATA|MSG` as rsyslog parsed them. */
  lines(): string[];
  stop(): Promise<void>;
}

/** rsyslogd with a temporary config, unprivileged ports on 127.0.0.1, writing to a file in `dir`. */
export async function startRsyslog(t: Test, dir: string): Promise<Rsyslog> {
  const bin = '/usr/sbin/rsyslogd';
  if (!existsSync(bin)) throw new Error(`rsyslogd is not installed at ${bin} (Debian package rsyslog)`);
  const udpPort = await freePort();
  const tcpPort = await freePort();
  const out = path.join(dir, 'received.log');
  const conf = path.join(dir, 'rsyslog.conf');
  await writeFile(
    conf,
    [
      `global(workDirectory="${dir}")`,
      'module(load="imudp")',
      'module(load="imtcp" maxSessions="100")',
      `input(type="imudp" port="${udpPort}" address="127.0.0.1")`,
      `input(type="imtcp" port="${tcpPort}" address="127.0.0.1")`,
      'template(name="fields" type="string" string="%pri%|%app-name%|%msgid%|%structured-data%|%msg%\\n")',
      `*.* action(type="omfile" file="${out}" template="fields")`,
      '',
    ].join('\n'),
  );
  const child = spawn(bin, ['-n', '-f', conf, '-i', path.join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout.on('data', (c) => output.push(String(c)));
  child.stderr.on('data', (c) => output.push(String(c)));
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  t.teardown(stop);
  // Ready once the TCP input accepts connections.
  await until(
    () =>
      new Promise<boolean>((resolve) => {
        if (child.exitCode !== null) throw new Error(`rsyslogd exited: ${output.join('')}`);
        const s = net.connect(tcpPort, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      }),
    'rsyslogd to listen',
  );
  return {
    udpPort,
    tcpPort,
    lines: () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : []),
    stop,
  };
}

/** A TLS syslog receiver (RFC 5425 framing: octet counting) collecting the messages. */
export async function startTlsSyslog(t: Test, o: { cert: string; key: string }) {
  const messages: string[] = [];
  const server = tls.createServer({ cert: readFileSync(o.cert), key: readFileSync(o.key) }, (socket) => {
    let buf = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      for (;;) {
        const sp = buf.indexOf(0x20);
        if (sp < 0) return;
        const len = Number(buf.subarray(0, sp).toString('ascii'));
        if (buf.length < sp + 1 + len) return;
        messages.push(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
        buf = buf.subarray(sp + 1 + len);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { port: (server.address() as net.AddressInfo).port, messages };
}

export interface HookRequest {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export type HookMode = 'ok' | 'error' | 'hang' | 'redirect';

/** An HTTPS webhook receiver on 127.0.0.1; `mode` may change while it runs. */
export async function startWebhookReceiver(t: Test, o: { cert: string; key: string; mode?: HookMode }) {
  const requests: HookRequest[] = [];
  const state = { mode: (o.mode ?? 'ok') as HookMode };
  const hanging = new Set<import('node:http').ServerResponse>();
  const server = https.createServer({ cert: readFileSync(o.cert), key: readFileSync(o.key) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (state.mode === 'hang') return void hanging.add(res);
      if (state.mode === 'redirect') {
        res.writeHead(307, { location: 'https://127.0.0.1:1/elsewhere' });
        res.end();
        return;
      }
      res.writeHead(state.mode === 'error' ? 500 : 204);
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(async () => {
    for (const r of hanging) r.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  const port = (server.address() as net.AddressInfo).port;
  return { port, url: `https://127.0.0.1:${port}/hook`, requests, state };
}

/** A received mail's headers and its text and HTML parts, decoded (quoted-printable or base64). */
export function mailParts(raw: string): { headers: Record<string, string>; text: string | null; html: string | null } {
  const split = (s: string) => {
    const at = s.indexOf('\r\n\r\n');
    const head = (at < 0 ? s : s.slice(0, at)).replace(/\r\n[ \t]+/g, ' ');
    const headers: Record<string, string> = {};
    for (const l of head.split('\r\n')) {
      const i = l.indexOf(':');
      if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    return { headers, body: at < 0 ? '' : s.slice(at + 4) };
  };
  const decode = (headers: Record<string, string>, body: string): string => {
    const enc = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
    if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    if (enc === 'quoted-printable') {
      const s = body.replace(/=\r?\n/g, '');
      const bytes: number[] = [];
      for (let i = 0; i < s.length; i++) {
        const hex = s.slice(i + 1, i + 3);
        if (s[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
          bytes.push(parseInt(hex, 16));
          i += 2;
        } else bytes.push(...Buffer.from(s[i]!, 'utf8'));
      }
      return Buffer.from(bytes).toString('utf8');
    }
    return body;
  };
  const top = split(raw);
  const out = { headers: top.headers, text: null as string | null, html: null as string | null };
  const boundary = /boundary="?([^";]+)"?/i.exec(top.headers['content-type'] ?? '')?.[1];
  const parts = boundary ? top.body.split(`--${boundary}`).slice(1, -1) : [raw];
  for (const p of parts) {
    const part = boundary ? split(p.replace(/^\r\n/, '')) : top;
    const type = (part.headers['content-type'] ?? 'text/plain').toLowerCase();
    // Lines as the renderer wrote them: SMTP's CRLF back to LF.
    if (type.startsWith('text/plain')) out.text = decode(part.headers, part.body).replace(/\r\n/g, '\n');
    else if (type.startsWith('text/html')) out.html = decode(part.headers, part.body).replace(/\r\n/g, '\n');
  }
  return out;
}

/** Where Debian's rsyslog-gnutls puts rsyslogd's GnuTLS network stream driver. */
const GTLS_DRIVERS = ['x86_64-linux-gnu', 'aarch64-linux-gnu'].map((a) => `/usr/lib/${a}/rsyslog/lmnsd_gtls.so`).concat('/usr/lib/rsyslog/lmnsd_gtls.so');
export const rsyslogGtls = (): string | undefined => GTLS_DRIVERS.find((f) => existsSync(f));

/**
 * rsyslogd receiving syslog over TLS (RFC 5425) with its gtls driver (Debian package
 * rsyslog-gnutls), the server certificate from `certs`, anonymous clients; writes each message
 * as `PRI|APP-NAME|MSGID|STRUCTURED-DATA|MSG` to a file in `dir`.
 */
export async function startRsyslogTls(t: Test, dir: string, certs: { ca: string; cert: string; key: string }): Promise<{ port: number; lines(): string[] }> {
  const bin = '/usr/sbin/rsyslogd';
  if (!existsSync(bin)) throw new Error(`rsyslogd is not installed at ${bin} (Debian package rsyslog)`);
  const port = await freePort();
  const out = path.join(dir, 'tls-received.log');
  const conf = path.join(dir, 'rsyslog-tls.conf');
  await writeFile(
    conf,
    [
      `global(workDirectory="${dir}" DefaultNetstreamDriver="gtls" DefaultNetstreamDriverCAFile="${certs.ca}" DefaultNetstreamDriverCertFile="${certs.cert}" DefaultNetstreamDriverKeyFile="${certs.key}")`,
      'module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon" maxSessions="100")',
      `input(type="imtcp" port="${port}" address="127.0.0.1")`,
      'template(name="fields" type="string" string="%pri%|%app-name%|%msgid%|%structured-data%|%msg%\\n")',
      `*.* action(type="omfile" file="${out}" template="fields")`,
      '',
    ].join('\n'),
  );
  const child = spawn(bin, ['-n', '-f', conf, '-i', path.join(dir, 'rsyslogd-tls.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout.on('data', (c) => output.push(String(c)));
  child.stderr.on('data', (c) => output.push(String(c)));
  const exited = once(child, 'exit');
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  });
  await until(
    () =>
      new Promise<boolean>((resolve) => {
        if (child.exitCode !== null) throw new Error(`rsyslogd (TLS) exited: ${output.join('')}`);
        const s = net.connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      }),
    'rsyslogd (TLS) to listen',
  );
  return { port, lines: () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : []) };
}
