// The device list's two passes (over latest reports when unfiltered and sorted by report, over
// devices otherwise) must page the same way.
import t from 'tap';
import { createDeviceAdmin, type DeviceSortField } from '../../../../daemon/domain/devices/device-admin.ts';
import type { DomainContext } from '../../../../daemon/domain/satellite/context.ts';
import { State } from '../../../../daemon/domain/satellite/state.ts';

function fixture() {
  const state = new State();
  state.putVa({ id: 'va_a', name: 'Default', parentId: null, tags: {}, createdAt: '' });
  const admin = createDeviceAdmin({ state } as unknown as DomainContext);
  state.watch({ device: admin.onDeviceChange, reported: admin.onReported });
  let seed = 99;
  const rnd = (n: number) => ((seed = (seed * 48271) % 2147483647), seed % n);
  for (let i = 0; i < 300; i++) {
    const id = `dev_${String(rnd(1e6)).padStart(6, '0')}_${i}`;
    state.putDevice({ id, udi: { pid: 'P', sn: `S${i}` }, hostname: rnd(4) ? `host-${rnd(20)}` : null, vaId: 'va_a', state: 'registered', via: 'token', registeredAt: new Date(Date.UTC(2025, 0, 1 + rnd(5))).toISOString(), credentialId: null, revoked: false });
    if (rnd(5) !== 0) {
      // Few distinct times, so ties on the key are common and the id decides.
      const at = new Date(Date.UTC(2026, 0, 1 + rnd(10))).toISOString();
      state.putLatest(state.device(id)!, { reportId: 'r', windowEnd: at, usage: {}, lastReportAt: at }, { newer: true, before: undefined });
    }
  }
  return { state, admin };
}

function pages(admin: ReturnType<typeof createDeviceAdmin>, order: string, vaIds: Set<string> | null, limit: number): string[] {
  const desc = order.startsWith('-');
  const sort = (desc ? order.slice(1) : order) as DeviceSortField;
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page = admin.list({ vaIds, sort, desc, limit, cursor });
    ids.push(...page.items.map((d) => d.id));
    cursor = page.next;
  } while (cursor !== null);
  return ids;
}

t.test('both passes list every device once, in the same order, page after page', async (t) => {
  const { state, admin } = fixture();
  for (const sort of ['lastReportAt', '-lastReportAt', 'id', '-id', 'hostname', '-registeredAt']) {
    const fast = pages(admin, sort, null, 7);
    const scanned = pages(admin, sort, new Set(['va_a']), 7);
    t.same(fast, scanned, sort);
    t.equal(new Set(fast).size, state.devices.size, `${sort}: each device once`);
  }
  const byHost = pages(admin, 'hostname', null, 13).map((id) => state.device(id)!);
  const reference = [...state.devices.values()].sort((a, b) => {
    const ka = a.hostname ?? '\uffff';
    const kb = b.hostname ?? '\uffff';
    return ka < kb ? -1 : ka > kb ? 1 : a.id < b.id ? -1 : 1;
  });
  t.same(byHost.map((d) => d.id), reference.map((d) => d.id), 'as a full sort would order them');
  t.equal(byHost[byHost.length - 1]!.hostname, null, 'no hostname sorts last');
  const asc = pages(admin, 'lastReportAt', null, 50);
  t.notOk((state.latestOf(asc[0]!) !== undefined), 'never reported comes first, oldest to newest');
  t.ok((state.latestOf(asc[asc.length - 1]!) !== undefined));
});
