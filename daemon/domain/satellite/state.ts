// What the satellite holds in memory: small, read-often records (VAs, tokens, devices, users,
// latest usage) loaded once at open and updated only after their batch is durable. Reports
// stay on disk. Checks that must not race read through the transaction, not from here.
//
// Everyone reads; only the methods below write, each from a writer transaction's `after()`.
// Views that follow devices and usage (the pools, the device list's index) register once with
// `watch()`: every device change and every new latest report reaches them the same way.
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

/** The VA tree as readers see it: lookups, paths and the child index, no writes. */
export type VaTreeView = ReadonlyMap<string, VirtualAccount> &
  Pick<VaTree, 'path' | 'byPath' | 'childIds' | 'siblingNamed' | 'depth' | 'within' | 'subtree'>;

/** What a view that follows the state is told, after the batch that made the change is durable. */
export interface StateWatcher {
  /** A device was registered, deregistered, moved, revoked or lapsed (whoever did it). */
  device?(before: DeviceRecord | undefined, after: DeviceRecord): void;
  /** A device's latest report changed its counted usage from `before` to `after`. */
  usage?(device: DeviceRecord, before: Record<string, number> | undefined, after: Record<string, number>): void;
  /** A device reported (newer or not). */
  reported?(device: DeviceRecord): void;
}

export class State {
  #satellite!: SatelliteRecord;
  #account!: AccountRecord;
  readonly #vas = new VaTree();
  readonly #tokens = new Map<string, TokenRecord>();
  readonly #devices = new Map<string, DeviceRecord>();
  readonly #devicesByUdi = new Map<string, string>();
  readonly #latest = new Map<string, LatestUsage>();
  readonly #users = new Map<string, UserRecord>();
  readonly #tagKeys = new Map<string, TagKeyRecord>();
  #reportCounts: ReportCounts = { total: 0, unacknowledged: 0 };
  readonly #watchers: StateWatcher[] = [];

  static async load(store: Store): Promise<State> {
    const s = new State();
    const sat = await store.get<SatelliteRecord>(keys.satellite);
    if (sat) s.#satellite = sat;
    const account = await store.get<AccountRecord>(keys.account);
    if (account) s.#account = account;
    s.#reportCounts = (await store.get<ReportCounts>(keys.reportCounts)) ?? s.#reportCounts;
    const load = async <T>(prefix: string, fn: (v: T) => void) => {
      for await (const [, v] of store.iterate<T>(prefixRange(prefix))) fn(v);
    };
    await load<VirtualAccount>(keys.vaPrefix, (v) => s.#vas.set(v.id, v));
    await load<TokenRecord>(keys.tokenPrefix, (t) => s.#tokens.set(t.id, t));
    await load<DeviceRecord>(keys.devicePrefix, (d) => s.putDevice(d));
    await load<UserRecord>(keys.userPrefix, (u) => s.#users.set(u.id, u));
    await load<TagKeyRecord>(keys.tagKeyPrefix, (k) => s.#tagKeys.set(k.key, k));
    for await (const [key, v] of store.iterate<LatestUsage>(prefixRange(keys.latestUsagePrefix))) {
      const id = key.slice(keys.latestUsagePrefix.length);
      // Keyed by the device record's own id string: lookups by `device.id` then match by
      // identity instead of comparing text (a list of 100,000 devices reads this map for each).
      s.#latest.set(s.#devices.get(id)?.id ?? id, v);
    }
    return s;
  }

  // --- reads -------------------------------------------------------------------------------

  get satellite(): SatelliteRecord {
    return this.#satellite;
  }
  get account(): AccountRecord {
    return this.#account;
  }
  /** The VA tree: by id, with a child index and a path cache. */
  get vas(): VaTreeView {
    return this.#vas;
  }
  get tokens(): ReadonlyMap<string, TokenRecord> {
    return this.#tokens;
  }
  get devices(): ReadonlyMap<string, DeviceRecord> {
    return this.#devices;
  }
  get latest(): ReadonlyMap<string, LatestUsage> {
    return this.#latest;
  }
  get users(): ReadonlyMap<string, UserRecord> {
    return this.#users;
  }
  get tagKeys(): ReadonlyMap<string, TagKeyRecord> {
    return this.#tagKeys;
  }
  get reportCounts(): ReportCounts {
    return this.#reportCounts;
  }

  /** One device by id (read on demand: do not hold on to the whole fleet). */
  device(id: string): DeviceRecord | undefined {
    return this.#devices.get(id);
  }

  /** A device's latest usage (the report with the greatest window end), if it reported. */
  latestOf(deviceId: string): LatestUsage | undefined {
    return this.#latest.get(deviceId);
  }

  deviceByUdi(pid: string, sn: string): DeviceRecord | undefined {
    const id = this.#devicesByUdi.get(udiKey(pid, sn));
    return id === undefined ? undefined : this.#devices.get(id);
  }

  /** `Default/Eng/Lab` for a VA id. */
  vaPath(id: string): string {
    return this.#vas.path(id);
  }

  vaRef(id: string): { id: string; path: string } {
    return { id, path: this.vaPath(id) };
  }

  vaByPath(path: string): VirtualAccount | undefined {
    return this.#vas.byPath(path);
  }

  /** A VA named by id (`va_…`) or path; 404 when there is none. */
  resolveVa(idOrPath: string): VirtualAccount {
    const va = this.#vas.get(idOrPath) ?? (idOrPath.startsWith('va_') ? undefined : this.vaByPath(idOrPath));
    if (!va) throw new OutpostError('NOT_FOUND', `No virtual account ${JSON.stringify(idOrPath)}.`);
    return va;
  }

  get defaultVa(): VirtualAccount {
    const va = this.#vas.byPath('Default');
    if (va && va.parentId === null) return va;
    throw new TypeError('the Default virtual account is missing');
  }

  countDevices(): { registered: number; deregistered: number } {
    let registered = 0;
    for (const d of this.#devices.values()) if (d.state === 'registered') registered++;
    return { registered, deregistered: this.#devices.size - registered };
  }

  // --- the one way views follow the state ----------------------------------------------------

  /** Registers a view; it is told of every later device change and report (see StateWatcher). */
  watch(watcher: StateWatcher): void {
    this.#watchers.push(watcher);
  }

  // --- writes: call from a transaction's after(), once the batch is durable ------------------

  setSatellite(s: SatelliteRecord): void {
    this.#satellite = s;
  }
  setAccount(a: AccountRecord): void {
    this.#account = a;
  }
  setReportCounts(c: ReportCounts): void {
    this.#reportCounts = c;
  }
  putVa(va: VirtualAccount): void {
    this.#vas.set(va.id, va);
  }
  deleteVa(id: string): void {
    this.#vas.delete(id);
  }
  putToken(t: TokenRecord): void {
    this.#tokens.set(t.id, t);
  }
  deleteToken(id: string): void {
    this.#tokens.delete(id);
  }
  putUser(u: UserRecord): void {
    this.#users.set(u.id, u);
  }
  deleteUser(id: string): void {
    this.#users.delete(id);
  }
  putTagKey(k: TagKeyRecord): void {
    this.#tagKeys.set(k.key, k);
  }
  deleteTagKey(key: string): void {
    this.#tagKeys.delete(key);
  }

  putDevice(d: DeviceRecord): void {
    const before = this.#devices.get(d.id);
    this.#devices.set(d.id, d);
    this.#devicesByUdi.set(udiKey(d.udi.pid, d.udi.sn), d.id);
    for (const w of this.#watchers) w.device?.(before, d);
  }

  /**
   * A device's report is durable: `latest` is its latest usage now; `newer` when this report
   * replaced the counted usage (`before` is what was counted until now).
   */
  putLatest(device: DeviceRecord, latest: LatestUsage, change: { newer: boolean; before: Record<string, number> | undefined }): void {
    this.#latest.set(device.id, latest);
    for (const w of this.#watchers) {
      if (change.newer) w.usage?.(device, change.before, latest.usage);
      w.reported?.(device);
    }
  }
}

export interface ReportCounts {
  total: number;
  unacknowledged: number;
}

export const udiKey = (pid: string, sn: string): string => `${pid}\u0000${sn}`;
