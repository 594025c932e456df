// What the satellite holds in memory: small, read-often records (VAs, tokens, users) loaded once
// at open and updated only after their batch is durable. Devices and their latest usage are read
// on demand through bounded caches in front of the store (a fleet of a million is never held
// whole); the device counters per VA, state and via are loaded (a few per VA). Reports stay on
// disk. Checks that must not race read through the transaction, not from here.
//
// Everyone reads; only the methods below write, each from a writer transaction's `after()`.
// Views that follow devices and usage (the pools, the device list's index) register once with
// `watch()`: every device change and every new latest report reaches them the same way.
import type { Store } from '../../store/index.ts';
import { keys, NOT_CACHED, prefixRange } from '../../store/index.ts';
import { OutpostError } from '../../errors.ts';
import { VaTree } from '../accounts/va-tree.ts';
import { BoundedCache } from './bounded-cache.ts';
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

/** Devices (and as many latest usages and UDI mappings) the state keeps read: about 50 MB. */
export const DEVICE_CACHE_ENTRIES = 50_000;

/**
 * Whether the device indexes are being rebuilt (domain/devices/device-index.ts), and how far: the
 * counters count a device once the rebuild has reached it; list requests wait for the end.
 */
export class DeviceIndexProgress {
  /** Null: the indexes are whole. Otherwise the greatest device id the rebuild has counted. */
  #through: string | null = null;
  #done: Promise<void> = Promise.resolve();
  #finish: () => void = () => {};

  get rebuilding(): boolean {
    return this.#through !== null;
  }
  /** Whether the counters count this device now (a device change adjusts them only then). */
  counted(id: string): boolean {
    return this.#through === null || id <= this.#through;
  }
  /** Settles when the indexes are whole. */
  ready(): Promise<void> {
    return this.#done;
  }
  begin(): void {
    if (this.#through !== null) return;
    this.#through = '';
    this.#done = new Promise((r) => (this.#finish = r));
  }
  reached(id: string): void {
    if (this.#through !== null) this.#through = id;
  }
  end(): void {
    this.#through = null;
    this.#finish();
  }
}

export class State {
  #satellite!: SatelliteRecord;
  #account!: AccountRecord;
  readonly #store: Pick<Store, 'getSync'>;
  readonly #vas = new VaTree();
  readonly #tokens = new Map<string, TokenRecord>();
  /** Read-through caches; null remembers that the store has none. */
  readonly #devices: BoundedCache<string, DeviceRecord | null>;
  readonly #devicesByUdi: BoundedCache<string, string | null>;
  readonly #latest: BoundedCache<string, LatestUsage | null>;
  /**
   * Devices and latest usages a staged batch changes, held at what the state showed before it
   * until that batch's `after()` moves them on: a read through to the store would otherwise see
   * a durable batch whose watchers have not run yet (and count a device's usage twice). `n`
   * counts the staged changes not yet applied.
   */
  readonly #heldDevices = new Map<string, { value: DeviceRecord | null; n: number }>();
  readonly #heldLatest = new Map<string, { value: LatestUsage | null; n: number }>();
  /** Devices per `<vaId>!<state><via>`, and per `<state><via>` over every VA. */
  readonly #counts = new Map<string, number>();
  readonly #countsAll = new Map<string, number>();
  readonly deviceIndex = new DeviceIndexProgress();
  readonly #users = new Map<string, UserRecord>();
  readonly #tagKeys = new Map<string, TagKeyRecord>();
  #reportCounts: ReportCounts = { total: 0, unacknowledged: 0 };
  readonly #watchers: StateWatcher[] = [];

  /** Without a store (unit tests of views), devices are only what `putDevice` gave it. */
  constructor(store: Pick<Store, 'getSync'> = NO_STORE, cacheEntries = DEVICE_CACHE_ENTRIES) {
    this.#store = store;
    this.#devices = new BoundedCache(cacheEntries);
    this.#devicesByUdi = new BoundedCache(cacheEntries);
    this.#latest = new BoundedCache(cacheEntries);
  }

  static async load(store: Store, opts: { cacheEntries?: number } = {}): Promise<State> {
    const s = new State(store, opts.cacheEntries);
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
    await load<UserRecord>(keys.userPrefix, (u) => s.#users.set(u.id, u));
    await load<TagKeyRecord>(keys.tagKeyPrefix, (k) => s.#tagKeys.set(k.key, k));
    for await (const [key, n] of store.iterate<number>(prefixRange(keys.deviceCountPrefix))) {
      const [vaId, part] = key.slice(keys.deviceCountPrefix.length).split('!') as [string, string];
      s.#addCount(vaId, part, n);
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
  get users(): ReadonlyMap<string, UserRecord> {
    return this.#users;
  }
  get tagKeys(): ReadonlyMap<string, TagKeyRecord> {
    return this.#tagKeys;
  }
  get reportCounts(): ReportCounts {
    return this.#reportCounts;
  }

  /**
   * For the writer's reads (`Writer.readThrough`): a device record or latest usage this state has
   * cached, as durable once every applied batch's `after` ran; NOT_CACHED otherwise (and for a
   * held one: its batch is staged, and the writer reads what it staged first).
   */
  cached(key: string): unknown {
    if (key.startsWith(keys.devicePrefix)) {
      const id = key.slice(keys.devicePrefix.length);
      if (this.#heldDevices.has(id)) return NOT_CACHED;
      const d = this.#devices.get(id);
      return d === undefined ? NOT_CACHED : (d ?? undefined);
    }
    if (key.startsWith(LATEST_PREFIX)) {
      const id = key.slice(LATEST_PREFIX.length);
      if (this.#heldLatest.has(id)) return NOT_CACHED;
      const l = this.#latest.get(id);
      return l === undefined ? NOT_CACHED : (l ?? undefined);
    }
    return NOT_CACHED;
  }

  /** One device by id, as durable (read on demand: do not hold on to the whole fleet). */
  device(id: string): DeviceRecord | undefined {
    const held = this.#heldDevices.get(id);
    if (held) return held.value ?? undefined;
    let d = this.#devices.get(id);
    if (d === undefined) {
      d = this.#store.getSync<DeviceRecord>(keys.device(id)) ?? null;
      this.#devices.set(id, d);
    }
    return d ?? undefined;
  }

  /** A device's latest usage (the report with the greatest window end), if it reported. */
  latestOf(deviceId: string): LatestUsage | undefined {
    const held = this.#heldLatest.get(deviceId);
    if (held) return held.value ?? undefined;
    let l = this.#latest.get(deviceId);
    if (l === undefined) {
      l = this.#store.getSync<LatestUsage>(keys.latestUsage(deviceId)) ?? null;
      this.#latest.set(deviceId, l);
    }
    return l ?? undefined;
  }

  deviceByUdi(pid: string, sn: string): DeviceRecord | undefined {
    const key = udiKey(pid, sn);
    let id = this.#devicesByUdi.get(key);
    if (id === undefined) {
      id = this.#store.getSync<string>(keys.udi(pid, sn)) ?? null;
      this.#devicesByUdi.set(key, id);
    }
    return id === null ? undefined : this.device(id);
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

  /** Devices registered and deregistered, from the counters (no device is read). */
  countDevices(): { registered: number; deregistered: number } {
    let registered = 0;
    let deregistered = 0;
    for (const [part, n] of this.#countsAll) {
      if (part.startsWith('r')) registered += n;
      else deregistered += n;
    }
    return { registered, deregistered };
  }

  /** Devices in `part` (`<state><via>`, device-index.ts) of a VA, or of every VA for `*`. */
  deviceCount(scope: string, part: string): number {
    return (scope === '*' ? this.#countsAll.get(part) : this.#counts.get(`${scope}!${part}`)) ?? 0;
  }

  /** Devices in a VA, whatever their state. */
  vaDeviceCount(vaId: string): number {
    let n = 0;
    for (const part of ['rt', 'rp', 'rc', 'dt', 'dp', 'dc']) n += this.#counts.get(`${vaId}!${part}`) ?? 0;
    return n;
  }

  #addCount(vaId: string, part: string, n: number): void {
    const key = `${vaId}!${part}`;
    const c = (this.#counts.get(key) ?? 0) + n;
    if (c === 0) this.#counts.delete(key);
    else this.#counts.set(key, c);
    this.#countsAll.set(part, (this.#countsAll.get(part) ?? 0) + n);
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

  /** A device write is durable (staged by device-index.ts `stageDevice`, which calls this). */
  putDevice(d: DeviceRecord, before: DeviceRecord | undefined = this.#devices.get(d.id) ?? undefined): void {
    release(this.#heldDevices, d.id, d);
    this.#devices.set(d.id, d);
    this.#devicesByUdi.set(udiKey(d.udi.pid, d.udi.sn), d.id);
    for (const w of this.#watchers) w.device?.(before, d);
  }

  /**
   * A transaction stages a change of this device (`before` as it read it): readers keep seeing
   * what they saw until the batch is durable and its `after()` calls `putDevice`.
   */
  holdDevice(id: string, before: DeviceRecord | undefined): void {
    hold(this.#heldDevices, id, () => this.device(id) ?? before);
  }

  /** As `holdDevice`, for a device's latest usage (`putLatest` releases it). */
  holdLatest(id: string, before: LatestUsage | undefined): void {
    hold(this.#heldLatest, id, () => this.latestOf(id) ?? before);
  }

  /** A held device change was not written (its transaction threw, its batch failed): the hold ends, the value stays. */
  unholdDevice(id: string): void {
    unhold(this.#heldDevices, id);
  }

  /** As `unholdDevice`, for a device's latest usage. */
  unholdLatest(id: string): void {
    unhold(this.#heldLatest, id);
  }

  /** Changes staged and not yet applied or undone (0 when the writer is idle). */
  get heldCount(): number {
    let n = 0;
    for (const h of this.#heldDevices.values()) n += h.n;
    for (const h of this.#heldLatest.values()) n += h.n;
    return n;
  }

  /** The counters moved by a durable batch (`stageDevice`, the index rebuild). */
  addDeviceCounts(delta: ReadonlyArray<readonly [vaId: string, part: string, n: number]>): void {
    for (const [vaId, part, n] of delta) this.#addCount(vaId, part, n);
  }

  /** The index rebuild starts its counters from nothing. */
  resetDeviceCounts(): void {
    this.#counts.clear();
    this.#countsAll.clear();
  }

  /**
   * A device's report is durable: `latest` is its latest usage now; `newer` when this report
   * replaced the counted usage (`before` is what was counted until now).
   */
  putLatest(device: DeviceRecord, latest: LatestUsage, change: { newer: boolean; before: Record<string, number> | undefined }): void {
    release(this.#heldLatest, device.id, latest);
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

const NO_STORE: Pick<Store, 'getSync'> = { getSync: () => undefined };

function hold<V>(held: Map<string, { value: V | null; n: number }>, id: string, current: () => V | undefined): void {
  const h = held.get(id);
  if (h) h.n++;
  else held.set(id, { value: current() ?? null, n: 1 });
}

/** A held change is applied: the value moves on, and the hold ends with the last one staged. */
function release<V>(held: Map<string, { value: V | null; n: number }>, id: string, value: V): void {
  const h = held.get(id);
  if (!h) return;
  h.value = value;
  if (--h.n === 0) held.delete(id);
}

/** A held change will not be applied: the hold ends with the last one staged, the value unchanged. */
function unhold<V>(held: Map<string, { value: V | null; n: number }>, id: string): void {
  const h = held.get(id);
  if (h && --h.n === 0) held.delete(id);
}

const LATEST_PREFIX = keys.latestUsage('');

export const udiKey = (pid: string, sn: string): string => `${pid}\u0000${sn}`;
