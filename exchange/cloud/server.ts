// Assembles a running cloud: identity → data-dir lock → store → service → app → listener
// (HTTPS when tls is configured). main.ts calls it; tests call it in-process.
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createCloudApp } from './app.ts';
import type { CloudConfig } from './config.ts';
import { loadOrCreateIdentity } from './identity.ts';
import type { CloudIdentity } from './identity.ts';
import { lockDataDir } from './lock.ts';
import { createCloud } from './service.ts';
import type { Cloud } from './service.ts';
import { CloudStore } from './store.ts';

export interface RunningCloud {
  /** The listener's base URL, e.g. http://127.0.0.1:8190. */
  url: string;
  cloud: Cloud;
  identity: CloudIdentity;
  server: Server;
  /** Stops accepting, lets in-flight exchanges finish (up to `graceMs`), releases the data dir. */
  close(graceMs?: number): Promise<void>;
}

export async function startCloudServer(opts: { config: CloudConfig; log: Logger; clock?: () => Date }): Promise<RunningCloud> {
  const { config, log } = opts;
  const identity = await loadOrCreateIdentity(config.dataDir);
  if (identity.created) log.info({ jwks: identity.jwksPath }, `cloud key made; satellites trust ${identity.jwksPath}`);
  const lock = await lockDataDir(config.dataDir);
  try {
    const store = await CloudStore.open(config.dataDir);
    const cloud = createCloud({ config, store, identity, clock: opts.clock });
    const app = createCloudApp({ cloud, store, config, identity, logError: (err, ctx) => log.error({ err, method: ctx.method, path: ctx.path }, 'request failed') });
    const server = config.tls
      ? createHttpsServer({ cert: await readFile(config.tls.cert), key: await readFile(config.tls.key) }, app.callback())
      : createHttpServer(app.callback());
    const { host, port } = splitListen(config.listen);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `${config.tls ? 'https' : 'http'}://${shown}:${address.port}`;
    log.info({ url }, `cloud listener on ${url}`);
    return {
      url,
      cloud,
      identity,
      server,
      async close(graceMs = 8000) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        await closed;
        clearTimeout(force);
        await lock.release();
      },
    };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

function splitListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  return { host: listen.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(listen.slice(at + 1)) };
}
