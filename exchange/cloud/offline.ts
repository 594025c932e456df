// The air-gapped side of the cloud: answer a bundle file with a response file, on the same
// data dir as the server (which must not be running meanwhile: the lock says so).
import type { Manifest } from '../bundle/index.ts';
import type { CloudConfig } from './config.ts';
import { loadOrCreateIdentity } from './identity.ts';
import { lockDataDir } from './lock.ts';
import { createCloud } from './service.ts';
import { CloudStore } from './store.ts';

export async function respondOffline(opts: { config: CloudConfig; inPath: string; outPath: string; clock?: () => Date }): Promise<Manifest> {
  const identity = await loadOrCreateIdentity(opts.config.dataDir);
  const lock = await lockDataDir(opts.config.dataDir);
  try {
    const store = await CloudStore.open(opts.config.dataDir);
    return await createCloud({ config: opts.config, store, identity, clock: opts.clock }).respond(opts.inPath, opts.outPath);
  } finally {
    await lock.release();
  }
}
