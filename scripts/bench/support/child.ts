// A benchmark's other process: `fill <dataDir> <devices> <vas> <entitlements>` fills a data dir
// and exits (`scale-fill <dataDir> <devices> <sampleFile> <sampleSize>`: the scale case's fleet); `serve <dataDir>` opens the satellite, prints its control socket as one JSON line
// and serves until stdin closes. Run apart so the measured process holds only the satellite.
import { fill, open } from './fill.ts';
import { scaleFill } from './scale-fill.ts';

const [verb, dataDir, ...rest] = process.argv.slice(2);
if (verb === 'fill') {
  const [devices, vas, entitlements] = rest.map(Number);
  const r = await fill(dataDir!, { devices: devices!, vas: vas!, entitlements: entitlements! });
  console.log(JSON.stringify(r));
} else if (verb === 'scale-fill') {
  const [devices, sampleFile, sampleSize] = rest;
  console.log(JSON.stringify(await scaleFill(dataDir!, Number(devices), sampleFile!, Number(sampleSize))));
} else if (verb === 'serve') {
  const t0 = performance.now();
  const sat = await open(dataDir!);
  const openMs = performance.now() - t0;
  (globalThis as { gc?: () => void }).gc?.();
  console.log(JSON.stringify({ socketPath: sat.socketPath, pid: process.pid, openMs }));
  process.stdin.resume();
  process.stdin.on('end', () => void sat.close().then(() => process.exit(0)));
} else {
  console.error('usage: child.ts fill|serve <dataDir> …');
  process.exit(2);
}
