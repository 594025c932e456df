// CLI of the reference cloud (`npm run cloud -- …`):
//   serve   --config FILE                          runs the cloud (the default verb)
//   respond --config FILE --in REQUEST --out RESPONSE   answers a bundle file, air-gapped
// The only place that exits the process.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { isBundleError } from '../bundle/index.ts';
import { loadCloudConfig } from './config.ts';
import { CloudError } from './errors.ts';
import { respondOffline } from './offline.ts';
import { startCloudServer } from './server.ts';

const USAGE = 'usage: cloud [serve] --config FILE | cloud respond --config FILE --in BUNDLE --out RESPONSE';

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string' }, in: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } },
  });
  const verb = positionals[0] ?? 'serve';
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const usable = values.config && positionals.length <= 1 && (verb === 'serve' || (verb === 'respond' && values.in && values.out));
  if (!usable) {
    console.error(USAGE);
    return 2;
  }
  const config = await loadCloudConfig(values.config!);

  if (verb === 'respond') {
    if (!values.in || !values.out) return 2; // checked above; narrows the types
    const manifest = await respondOffline({ config, inPath: resolve(values.in), outPath: resolve(values.out) });
    console.log(JSON.stringify({ file: resolve(values.out), kind: manifest.kind, satellite: manifest.satellite, sequence: manifest.sequence, inReplyTo: manifest.inReplyTo }));
    return 0;
  }

  const log = pino({ base: { name: 'outpost-cloud' } });
  const running = await startCloudServer({ config, log });
  await new Promise<void>((resolveSignal) => {
    process.once('SIGTERM', () => resolveSignal());
    process.once('SIGINT', () => resolveSignal());
  });
  log.info('cloud stopping');
  await running.close();
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  const known = isBundleError(err) || err instanceof CloudError;
  console.error(`cloud: ${known ? `${(err as CloudError).code}: ` : ''}${(err as Error).message}`);
  process.exitCode = 1;
}
