// The device list read through its indexes: every VA (the `*` scope) and one VA named must page
// the same way, as a full sort would order them.
import t from 'tap';
import { createDeviceAdmin, type DeviceSortField } from '../../../../daemon/domain/devices/device-admin.ts';
import { stageDevice, stageLatest } from '../../../../daemon/domain/devices/device-index.ts';
import { bufferColumn, MemoryText, type TextBytes } from '../../../../daemon/domain/devices/device-search.ts';
import { FileText } from '../../../../daemon/files/device-search-file.ts';
import { closeSync, openSync } from 'node:fs';
import type { DomainContext } from '../../../../daemon/domain/satellite/context.ts';
import type { DeviceRecord } from '../../../../daemon/domain/satellite/records.ts';
import { State } from '../../../../daemon/domain/satellite/state.ts';
import { MemoryStore } from '../../../../daemon/store/memory.ts';
import { Writer } from '../../../../daemon/store/index.ts';

/** `mixed`: every (state, via) partition, the small ones sorting first by hostname and registration. */
async function fixture(opts: { mixed?: boolean; admin?: Parameters<typeof createDeviceAdmin>[1] } = {}) {
  const store = new MemoryStore();
  await store.open();
  const writer = new Writer(store, { queueLimit: 1000 });
  const state = await State.load(store);
  state.putVa({ id: 'va_a', name: 'Default', parentId: null, tags: {}, createdAt: '' });
  const admin = createDeviceAdmin({ state, store, writer } as unknown as DomainContext, opts.admin);
  const all = new Map<string, DeviceRecord>();
  let seed = 99;
  const rnd = (n: number) => ((seed = (seed * 48271) % 2147483647), seed % n);
  for (let i = 0; i < 300; i++) {
    const id = `dev_${String(rnd(1e6)).padStart(6, '0')}_${i}`;
    const device: DeviceRecord = { id, udi: { pid: 'P', sn: `S${i}` }, hostname: rnd(4) ? `host-${rnd(20)}` : null, vaId: 'va_a', state: 'registered', via: 'token', registeredAt: new Date(Date.UTC(2025, 0, 1 + rnd(5))).toISOString(), credentialId: null, revoked: false };
    const r = opts.mixed ? rnd(20) : 20;
    // 15% deregistered by policy (a first look of ~24 keys for a page of 50), 5% over the other partitions.
    if (r < 3) Object.assign(device, { state: 'deregistered', via: 'policy', hostname: `aaa-${rnd(50)}`, registeredAt: new Date(Date.UTC(2024, 0, 1 + rnd(5))).toISOString() });
    else if (r < 4) Object.assign(device, { state: rnd(2) ? 'deregistered' : 'registered', via: (['token', 'collector'] as const)[rnd(2)], hostname: `aab-${rnd(50)}`, registeredAt: new Date(Date.UTC(2024, 0, 1 + rnd(5))).toISOString() });
    all.set(id, device);
    const reports = rnd(5) !== 0;
    // Few distinct times, so ties on the key are common and the id decides.
    const at = new Date(Date.UTC(2026, 0, 1 + rnd(10))).toISOString();
    await writer.run(async (tx) => {
      await stageDevice(tx, state, undefined, device);
      if (reports) await stageLatest(tx, state, device, undefined, { reportId: 'r', windowEnd: at, usage: {}, lastReportAt: at }, { newer: true, before: undefined });
    });
  }
  return { state, admin, devices: all, writer };
}

async function pages(admin: ReturnType<typeof createDeviceAdmin>, order: string, vaIds: Set<string> | null, limit: number): Promise<string[]> {
  const desc = order.startsWith('-');
  const sort = (desc ? order.slice(1) : order) as DeviceSortField;
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await admin.list({ vaIds, sort, desc, limit, cursor });
    ids.push(...page.items.map((d) => d.id));
    cursor = page.next;
  } while (cursor !== null);
  return ids;
}

t.test('both passes list every device once, in the same order, page after page', async (t) => {
  const { state, admin, devices } = await fixture();
  for (const sort of ['lastReportAt', '-lastReportAt', 'id', '-id', 'hostname', '-registeredAt']) {
    const fast = await pages(admin, sort, null, 7);
    const scanned = await pages(admin, sort, new Set(['va_a']), 7);
    t.same(fast, scanned, sort);
    t.equal(new Set(fast).size, devices.size, `${sort}: each device once`);
  }
  const byHost = (await pages(admin, 'hostname', null, 13)).map((id) => state.device(id)!);
  const reference = [...devices.values()].sort((a, b) => {
    const ka = a.hostname ?? '\uffff';
    const kb = b.hostname ?? '\uffff';
    return ka < kb ? -1 : ka > kb ? 1 : a.id < b.id ? -1 : 1;
  });
  t.same(byHost.map((d) => d.id), reference.map((d) => d.id), 'as a full sort would order them');
  t.equal(byHost[byHost.length - 1]!.hostname, null, 'no hostname sorts last');
  const asc = await pages(admin, 'lastReportAt', null, 50);
  t.notOk((state.latestOf(asc[0]!) !== undefined), 'never reported comes first, oldest to newest');
  t.ok((state.latestOf(asc[asc.length - 1]!) !== undefined));
});

t.test('partitions of a few devices that hold a whole page are read on past their first short look', async (t) => {
  const { admin, devices } = await fixture({ mixed: true });
  const key = { hostname: (d: DeviceRecord) => d.hostname ?? '\uffff', registeredAt: (d: DeviceRecord) => d.registeredAt };
  for (const sort of ['hostname', 'registeredAt', '-registeredAt'] as const) {
    const desc = sort.startsWith('-');
    const field = (desc ? sort.slice(1) : sort) as 'hostname' | 'registeredAt';
    const sign = desc ? -1 : 1;
    const reference = [...devices.values()].sort((a, b) => sign * (key[field](a) < key[field](b) ? -1 : key[field](a) > key[field](b) ? 1 : a.id < b.id ? -1 : 1)).map((d) => d.id);
    for (const limit of [50, 7]) t.same(await pages(admin, sort, null, limit), reference, `${sort}, pages of ${limit}`);
  }
  const first = await admin.list({ vaIds: null, sort: 'registeredAt', desc: false, limit: 50, cursor: null });
  t.ok(first.items.every((d) => /^aa[ab]-/.test(d.hostname ?? '')), 'the first page is all small partitions');
  t.ok(first.items.filter((d) => d.state === 'deregistered' && d.via === 'policy').length > 30, 'most of it from one partition of 15%');
});

t.test('?q= pages through its matches with cursors, and a next page sees a device the column took meanwhile', async (t) => {
  const { state, admin, devices, writer } = await fixture();
  state.watch({ device: admin.onDeviceChange });
  await admin.openSearch(null);
  const q = 'host-1'; // host-1 and host-10 … host-19
  const want = [...devices.values()].filter((d) => d.hostname?.includes(q)).map((d) => d.id).sort();
  t.ok(want.length > 20, `${want.length} matches`);
  const paged: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await admin.list({ vaIds: null, q, sort: 'id', desc: false, limit: 7, cursor });
    paged.push(...page.items.map((d) => d.id));
    cursor = page.next;
    pages++;
    if (pages === 2) {
      // A new device that sorts last: the next pages show it (the matches kept for them are stale).
      const d: DeviceRecord = { id: 'dev_zzzzzz_new', udi: { pid: 'P', sn: 'SNEW' }, hostname: 'host-1-new', vaId: 'va_a', state: 'registered', via: 'token', registeredAt: new Date().toISOString(), credentialId: null, revoked: false };
      await writer.run((tx) => stageDevice(tx, state, undefined, d));
      want.push(d.id);
    }
  } while (cursor !== null);
  t.same(paged, want, 'every match once, in id order, the new one included');
  t.ok(pages > 3);
});

t.test('a saved column that does not load: the walk keeps what devices changed while it was tried', async (t) => {
  const { state, admin, writer } = await fixture();
  state.watch({ device: admin.onDeviceChange });
  const d: DeviceRecord = { id: 'dev_changed_meanwhile', udi: { pid: 'P', sn: 'SMEANWHILE' }, hostname: 'meanwhile-host', vaId: 'va_a', state: 'registered', via: 'token', registeredAt: new Date().toISOString(), credentialId: null, revoked: false };
  await writer.run((tx) => stageDevice(tx, state, undefined, d));
  const r = await admin.openSearch(bufferColumn(Buffer.from('not a saved column')));
  t.match(r, { from: 'store', error: /not a device search index/ });
  const page = await admin.list({ vaIds: null, q: 'meanwhile', sort: 'id', desc: false, limit: 5, cursor: null });
  t.same(page.items.map((x) => x.id), [d.id], 'the device changed before the walk is found');
});

t.test("a column whose file fails (a full disk: /dev/full) is given up: ?q= walks the indexes, answers the same, nothing is saved", async (t) => {
  // Memory until `full`, then /dev/full's writes (ENOSPC), as a disk that fills up would.
  let full = false;
  const devFull = openSync('/dev/full', 'r+');
  t.teardown(() => closeSync(devFull));
  const failing = (): TextBytes => {
    const mem = new MemoryText();
    const disk = new FileText(devFull, 0);
    return {
      read: (pos, len, out) => mem.read(pos, len, out),
      write: (pos, src, len) => (full ? disk.write(pos, src, len) : mem.write(pos, src, len)),
      get memoryBytes() {
        return mem.memoryBytes;
      },
      close: () => mem.close(),
    };
  };
  const told: unknown[] = [];
  const { state, admin, writer } = await fixture({ admin: { text: failing, onSearchFailure: (err) => told.push(err) } });
  state.watch({ device: admin.onDeviceChange });
  await admin.openSearch(null);
  const q = 'host-1';
  const before = (await admin.list({ vaIds: null, q, sort: 'id', desc: false, limit: 500, cursor: null })).items.map((d) => d.id);
  t.equal(admin.searchFailure, null);
  full = true;
  const d: DeviceRecord = { id: 'dev_after_full', udi: { pid: 'P', sn: 'SFULL' }, hostname: 'host-1-full', vaId: 'va_a', state: 'registered', via: 'token', registeredAt: new Date().toISOString(), credentialId: null, revoked: false };
  await writer.run((tx) => stageDevice(tx, state, undefined, d));
  t.equal(told.length, 1, 'told once');
  t.match(String(told[0]), /ENOSPC|no space/i);
  t.match(admin.searchFailure, /ENOSPC|no space/i);
  t.ok(state.device(d.id), 'the device is written whatever the column does');
  const after = (await admin.list({ vaIds: null, q, sort: 'id', desc: false, limit: 500, cursor: null })).items.map((x) => x.id);
  t.same(after, [...before, d.id].sort(), 'the walk answers, the new device included');
  t.equal(admin.searchBytes(), null, 'nothing saved at shutdown: the next start makes the column anew');
  await writer.run((tx) => stageDevice(tx, state, d, { ...d, hostname: 'host-1-full-renamed' }));
  t.equal(told.length, 1, 'not told again');
});
