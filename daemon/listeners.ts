// Binding the listeners: device and admin (HTTP or HTTPS) and the control socket. A listener
// is bound before the app behind it exists, answering 503 until the satellite is ready.
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface Listener {
  server: http.Server;
  url: string;
  setHandler(h: Handler): void;
}

export class StartError extends Error {
  override name = 'StartError';
}

const notReady: Handler = (_req, res) => {
  res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '1' });
  res.end(JSON.stringify({ status: 'opening', reason: 'the database is opening' }));
};

function makeServer(tls: { cert: string | null; key: string | null } | null, label: string) {
  let handler: Handler = notReady;
  const dispatch: Handler = (req, res) => handler(req, res);
  let server: http.Server;
  if (tls?.cert && tls.key) {
    let cert: Buffer;
    let key: Buffer;
    try {
      cert = readFileSync(tls.cert);
      key = readFileSync(tls.key);
    } catch (err) {
      throw new StartError(`${label}.tls: cannot read ${(err as NodeJS.ErrnoException).path ?? 'file'}: ${(err as NodeJS.ErrnoException).code}`);
    }
    server = https.createServer({ cert, key }, dispatch);
  } else {
    server = http.createServer(dispatch);
  }
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 30_000;
  server.requestTimeout = 120_000;
  return { server, setHandler: (h: Handler) => void (handler = h), secure: Boolean(tls?.cert) };
}

function splitHostPort(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
}

/** Binds `listen` ("host:port"); a port in use is a StartError naming it. */
export async function bindTcp(label: string, listen: string, tls: { cert: string | null; key: string | null }): Promise<Listener> {
  const { server, setHandler, secure } = makeServer(tls, label);
  const { host, port } = splitHostPort(listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new StartError(`${label}.listen: ${listen} is already in use`));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new StartError(`${label}.listen: ${listen} is not an address of this host`));
      else if (err.code === 'EACCES') reject(new StartError(`${label}.listen: no permission to listen on ${listen}`));
      else reject(err);
    });
    server.listen({ host, port }, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return { server, setHandler, url: `${secure ? 'https' : 'http'}://${shownHost}:${addr.port}` };
}

export async function bindSocket(socketPath: string, handler: Handler): Promise<http.Server> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return server;
}

/** Stops accepting, lets in-flight requests finish, and cuts what remains after `graceMs`. */
export async function closeServer(server: http.Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}
