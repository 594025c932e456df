// `npm run bench -- search [--sizes 1000,100000,1000000] [--runs 21]`: the device list's `?q=`
// index (daemon/domain/devices/device-search.ts) at each size, against a baseline in the same
// run: a plain loop of String.includes over the same pre-lower-cased strings held as JS objects.
// Figures: build time, bytes per device (heap + array buffers after a GC, beyond nothing: the
// ids are included), and search times (median and p99) for a query matching ≤ 1,000 devices, a
// query matching 10% read through (all matches) and paged (stop after 101), and one matching
// nothing (the worst case: the whole column is scanned).
import v8 from 'node:v8';
import vm from 'node:vm';
import { DeviceSearch, fold } from '../../daemon/domain/devices/device-search.ts';
import { fmt, median } from './lib.ts';
import { percentile } from './support/fill.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const PIDS = ['C9300-24P', 'C9300-48P', 'ISR4451-X', 'C9200L-24T', 'IR1101-K9', 'C9500-40X', 'ASR1001-X', 'C8300-1N1S', 'C9130AXI-E', 'N9K-C93180'];

/** The bench's fleet: hostnames sw-<i>.<site>.example.net, serials FOC<8 digits>, 10 PIDs of 10% each. */
export function fleetRow(i: number): { id: string; hostname: string; pid: string; sn: string } {
  return {
    id: `dev_${i.toString(36).padStart(12, '0')}`,
    hostname: `sw-${i}.site${i % 97}.example.net`,
    pid: PIDS[i % PIDS.length]!,
    sn: `FOC${String(i).padStart(8, '0')}`,
  };
}

function memory(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function time(runs: number, fn: () => number): { med: number; p99: number; hits: number } {
  const ms: number[] = [];
  let hits = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    hits = fn();
    ms.push(performance.now() - t0);
  }
  return { med: median(ms), p99: percentile(ms, 99), hits };
}

export default async function search(args: string[]): Promise<void> {
  const i = args.indexOf('--sizes');
  const sizes = (i >= 0 ? args[i + 1]! : '1000,100000,1000000').split(',').map(Number);
  const r = args.indexOf('--runs');
  const runs = r >= 0 ? Number(args[r + 1]) : 21;
  console.log(`device search: ${runs} runs per query; baseline = a loop of String.includes over lower-cased strings in JS objects (same run)`);
  for (const n of sizes) {
    // q matching ≤ 1,000: "sw-4242." — one hostname (plus none: the dot ends the number); use a
    // prefix that matches ~111 at 1M: "sw-4242" (4242, 42420–42429, 424200–424299).
    const queries = [
      { name: 'rare (sw-4242)', q: 'SW-4242', page: false },
      { name: '10% all (ir1101)', q: 'ir1101', page: false },
      { name: '10% page of 101', q: 'ir1101', page: true },
      { name: 'no match', q: 'zz-none', page: false },
    ];

    let m0 = memory();
    let t0 = performance.now();
    const index = new DeviceSearch();
    for (let k = 0; k < n; k++) {
      const d = fleetRow(k);
      index.set(d.id, d.hostname, d.pid, d.sn);
    }
    const buildIndex = performance.now() - t0;
    const memIndex = memory() - m0;
    const saved = index.toBuffer();
    t0 = performance.now();
    const loaded = DeviceSearch.fromBuffer(saved);
    const loadMs = performance.now() - t0;

    m0 = memory();
    t0 = performance.now();
    const rows: { id: string; h: string; p: string; s: string }[] = [];
    for (let k = 0; k < n; k++) {
      const d = fleetRow(k);
      rows.push({ id: d.id, h: fold(d.hostname), p: fold(d.pid), s: fold(d.sn) });
    }
    const buildBase = performance.now() - t0;
    const memBase = memory() - m0;

    console.log(
      `\n${fmt(n)} devices: index ${(memIndex / n).toFixed(1)} B/device (arrays ${(index.byteSize / n).toFixed(1)}; saved file ${(saved.length / n).toFixed(1)}), ` +
        `built in ${fmt(buildIndex)} ms, loaded from its buffer in ${fmt(loadMs, 1)} ms | baseline ${(memBase / n).toFixed(1)} B/device, built in ${fmt(buildBase)} ms`,
    );
    for (const { name, q, page } of queries) {
      const limit = page ? 101 : Infinity;
      const idx = time(runs, () => {
        let c = 0;
        loaded.search(q, () => ++c < limit);
        return c;
      });
      const needle = fold(q);
      const base = time(runs, () => {
        let c = 0;
        for (const row of rows) {
          if (row.h.includes(needle) || row.p.includes(needle) || row.s.includes(needle)) {
            c++;
            if (c >= limit) break;
          }
        }
        return c;
      });
      if (idx.hits !== base.hits) throw new Error(`${name}: index found ${idx.hits}, baseline ${base.hits}`);
      console.log(
        `  ${name.padEnd(18)} ${fmt(idx.hits).padStart(9)} hits: index median ${fmt(idx.med, 2)} ms p99 ${fmt(idx.p99, 2)} | ` +
          `baseline median ${fmt(base.med, 2)} ms p99 ${fmt(base.p99, 2)} | ratio ${(base.med / idx.med).toFixed(1)}x faster`,
      );
    }
    rows.length = 0;
  }
}
