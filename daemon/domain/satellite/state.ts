// What the satellite holds in memory: small, read-often records (VAs, tokens, devices, users,
// latest usage) loaded once at open and updated only after their batch is durable. Reports
// stay on disk. Checks that must not race read through the transaction, not from here.
import type { Store } from '../../store/index.ts';
import { keys, prefixRange } from '../../store/index.ts';
import { OutpostError } from '../../errors.ts';
import { VaTree } from '../accounts/va-tree.ts';
import type {
  AccountRecord,
  DeviceRecord,
  LatestUsage,
  SatelliteRecord,
  TagKeyRecord,
  TokenRecord,
  UserRecord,
  VirtualAccount,
} from './records.ts';

export class State {
  satellite!: SatelliteRecord;
  account!: AccountRecord;
  /** The VA tree: a Map by id with a child index and a path cache. */
  readonly vas = new VaTree();
  readonly tokens = new Map<string, TokenRecord>();
  readonly devices = new Map<string, DeviceRecord>();
  readonly devicesByUdi = new Map<string, string>();
  readonly latest = new Map<string, LatestUsage>();
  readonly users = new Map<string, UserRecord>();
  readonly tagKeys = new Map<string, TagKeyRecord>();
  reportCounts: ReportCounts = { total: 0, unacknowledged: 0 };
  readonly #deviceWatchers: Array<(before: DeviceRecord | undefined, after: DeviceRecord) => void> = [];

  static async load(store: Store): Promise<State> {
    const s = new State();
    const sat = await store.get<SatelliteRecord>(keys.satellite);
    if (sat) s.satellite = sat;
    const account = await store.get<AccountRecord>(keys.account);
    if (account) s.account = account;
    s.reportCounts = (await store.get<ReportCounts>(keys.reportCounts)) ?? s.reportCounts;
    const load = async <T>(prefix: string, fn: (v: T) => void) => {
      for await (const [, v] of store.iterate<T>(prefixRange(prefix))) fn(v);
    };
    await load<VirtualAccount>(keys.vaPrefix, (v) => s.vas.set(v.id, v));
    await load<TokenRecord>(keys.tokenPrefix, (t) => s.tokens.set(t.id, t));
    await load<DeviceRecord>(keys.devicePrefix, (d) => s.putDevice(d));
    await load<UserRecord>(keys.userPrefix, (u) => s.users.set(u.id, u));
    await load<TagKeyRecord>(keys.tagKeyPrefix, (k) => s.tagKeys.set(k.key, k));
    for await (const [key, v] of store.iterate<LatestUsage>(prefixRange(keys.latestUsagePrefix))) {
      const id = key.slice(keys.latestUsagePrefix.length);
      // Keyed by the device record's own id string: lookups by `device.id` then match by
      // identity instead of comparing text (a list of 100,000 devices reads this map for each).
      s.latest.set(s.devices.get(id)?.id ?? id, v);
    }
    return s;
  }

  putDevice(d: DeviceRecord): void {
    const before = this.devices.get(d.id);
    this.devices.set(d.id, d);
    this.devicesByUdi.set(udiKey(d.udi.pid, d.udi.sn), d.id);
    for (const fn of this.#deviceWatchers) fn(before, d);
  }

  /**
   * Calls `fn` after every device change made visible here (register, deregister, move,
   * revocation, lapse — whoever made it), so views such as the pools follow them all.
   */
  watchDevices(fn: (before: DeviceRecord | undefined, after: DeviceRecord) => void): void {
    this.#deviceWatchers.push(fn);
  }

  deviceByUdi(pid: string, sn: string): DeviceRecord | undefined {
    const id = this.devicesByUdi.get(udiKey(pid, sn));
    return id === undefined ? undefined : this.devices.get(id);
  }

  /** `Default/Eng/Lab` for a VA id. */
  vaPath(id: string): string {
    return this.vas.path(id);
  }

  vaRef(id: string): { id: string; path: string } {
    return { id, path: this.vaPath(id) };
  }

  vaByPath(path: string): VirtualAccount | undefined {
    return this.vas.byPath(path);
  }

  /** A VA named by id (`va_…`) or path; 404 when there is none. */
  resolveVa(idOrPath: string): VirtualAccount {
    const va = this.vas.get(idOrPath) ?? (idOrPath.startsWith('va_') ? undefined : this.vaByPath(idOrPath));
    if (!va) throw new OutpostError('NOT_FOUND', `No virtual account ${JSON.stringify(idOrPath)}.`);
    return va;
  }

  get defaultVa(): VirtualAccount {
    const va = this.vas.byPath('Default');
    if (va && va.parentId === null) return va;
    throw new TypeError('the Default virtual account is missing');
  }

  countDevices(): { registered: number; deregistered: number } {
    let registered = 0;
    for (const d of this.devices.values()) if (d.state === 'registered') registered++;
    return { registered, deregistered: this.devices.size - registered };
  }
}

export interface ReportCounts {
  total: number;
  unacknowledged: number;
}

export const udiKey = (pid: string, sn: string): string => `${pid}\u0000${sn}`;
