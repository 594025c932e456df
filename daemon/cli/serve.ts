// `outpost serve`: runs the daemon until SIGTERM or SIGINT, then shuts down within 10 s.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/index.ts';
import { createLogger } from '../log.ts';
import { openSatellite } from '../satellite.ts';
import { StartError } from '../listeners.ts';

export async function serve(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({ args, options: { config: { type: 'string' }, 'data-dir': { type: 'string' } }, strict: true }).values;
  } catch (err) {
    process.stderr.write(`outpost: ${(err as Error).message}\n`);
    return 2;
  }
  let config;
  try {
    config = loadConfig({ file: values.config ?? null, overrides: values['data-dir'] ? { dataDir: values['data-dir'] } : {} });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`outpost: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const log = createLogger(config.log.level);
  let satellite;
  try {
    satellite = await openSatellite(config, { log });
  } catch (err) {
    if (err instanceof StartError) {
      log.fatal(err.message);
      process.stderr.write(`outpost: ${err.message}\n`);
      return 1;
    }
    log.fatal({ err }, 'start-up failed');
    process.stderr.write(`outpost: start-up failed: ${(err as Error).message}\n`);
    return 1;
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      const force = setTimeout(() => {
        log.error('shutdown took longer than 10 s; exiting');
        resolve(1);
      }, 10_000);
      force.unref();
      satellite.close().then(
        () => {
          clearTimeout(force);
          log.info('stopped');
          resolve(0);
        },
        (err: unknown) => {
          clearTimeout(force);
          log.error({ err }, 'error during shutdown');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}
