// What the reference cloud remembers, in its data dir: state.json (satellites, counters,
// account lines set through the admin API), rewritten whole and renamed into place, and the
// records satellites sent, one NDJSON file per satellite and kind, kept once per record id.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { JWK } from 'jose';
import type { EntitlementRecord, Profile, RevocationRecord } from '../bundle/index.ts';

/** Files a satellite report carries that the cloud keeps; virtual-accounts is a snapshot. */
export const RECEIVED_FILES = ['virtual-accounts.ndjson', 'devices.ndjson', 'usage.ndjson', 'transfers.ndjson', 'reservations.ndjson', 'rum.ndjson'] as const;
export type ReceivedFile = (typeof RECEIVED_FILES)[number];

/** The id that makes a record the same record when a report is sent again. */
const RECORD_KEY: Record<Exclude<ReceivedFile, 'virtual-accounts.ndjson'>, (r: Record<string, unknown>) => string> = {
  'usage.ndjson': (r) => String(r.reportId),
  'transfers.ndjson': (r) => String(r.transferId),
  'devices.ndjson': (r) => `${String(r.deviceId)} ${String(r.state)} ${String(r.at)}`,
  'reservations.ndjson': (r) => `${String(r.reservationId)} ${String(r.state)}`,
  'rum.ndjson': (r) => {
    const udi = r.udi as { pid?: unknown; sn?: unknown } | undefined;
    return `${String(udi?.pid)}\u0000${String(udi?.sn)}\u0000${String(r.reportId)}`;
  },
};

export interface SatelliteState {
  id: string;
  account: string;
  name: string;
  publicKey: JWK;
  kid: string;
  registeredAt: string;
  registrations: number;
  /** The last cloud sequence issued to it; never restarts, re-registration included. */
  counter: number;
  lastContactAt: string;
  lastReport: { sequence: number; receivedAt: string; more: boolean } | null;
  reports: number;
  profileSent: Profile | null;
  /** Revocations for its next response. */
  pendingRevocations: RevocationRecord[];
  /** Revocations sent, with the response that carried them. */
  revocationsSent: Array<RevocationRecord & { sequence: number }>;
  /** Records kept per file (new ones only; a repeated record is not counted again). */
  received: Record<ReceivedFile, number>;
}

interface StateDoc {
  version: 1;
  satellites: Record<string, SatelliteState>;
  /** Account lines set through the admin API, replacing the config's. */
  lines: Record<string, EntitlementRecord[]>;
}

export class CloudStore {
  readonly #dir: string;
  #doc: StateDoc;
  readonly #seen = new Map<string, Set<string>>();

  private constructor(dir: string, doc: StateDoc) {
    this.#dir = dir;
    this.#doc = doc;
  }

  static async open(dataDir: string): Promise<CloudStore> {
    await mkdir(join(dataDir, 'received'), { recursive: true, mode: 0o700 });
    await rm(join(dataDir, 'tmp'), { recursive: true, force: true }); // uploads cut off by a stop
    await mkdir(join(dataDir, 'tmp'), { mode: 0o700 });
    let doc: StateDoc = { version: 1, satellites: {}, lines: {} };
    try {
      doc = JSON.parse(await readFile(join(dataDir, 'state.json'), 'utf8')) as StateDoc;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${join(dataDir, 'state.json')}: ${(err as Error).message}`);
    }
    return new CloudStore(dataDir, doc);
  }

  satellite(id: string): SatelliteState | undefined {
    return Object.hasOwn(this.#doc.satellites, id) ? this.#doc.satellites[id] : undefined;
  }

  satellites(): SatelliteState[] {
    return Object.values(this.#doc.satellites);
  }

  putSatellite(sat: SatelliteState): void {
    this.#doc.satellites[sat.id] = sat;
  }

  lines(account: string): EntitlementRecord[] | undefined {
    return Object.hasOwn(this.#doc.lines, account) ? this.#doc.lines[account] : undefined;
  }

  setLines(account: string, lines: EntitlementRecord[]): void {
    this.#doc.lines[account] = lines;
  }

  /** Writes state.json: a new file renamed over the old, so a crash leaves one or the other. */
  async save(): Promise<void> {
    const path = join(this.#dir, 'state.json');
    const tmp = `${path}.${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, JSON.stringify(this.#doc, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, path);
  }

  /** A fresh path for a temporary file on the data dir's file system. */
  tmpPath(label: string): string {
    return join(this.#dir, 'tmp', `${label}-${randomBytes(8).toString('hex')}`);
  }

  /** Keeps the records not kept before; answers how many were new. A snapshot file is replaced. */
  async ingest(satellite: string, file: ReceivedFile, records: AsyncIterable<object>): Promise<number> {
    await mkdir(this.#satelliteDir(satellite), { recursive: true });
    const path = this.#receivedPath(satellite, file);
    if (file === 'virtual-accounts.ndjson') {
      const tmp = `${path}.tmp`;
      const n = await appendLines(tmp, records, () => true, 'w');
      await rename(tmp, path);
      return n;
    }
    const keyOf = RECORD_KEY[file];
    const seen = await this.#seenKeys(satellite, file, keyOf);
    return appendLines(path, records, (r) => {
      const key = keyOf(r as Record<string, unknown>);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    }, 'a');
  }

  /** The records kept for a satellite, oldest first. */
  async *received(satellite: string, file: ReceivedFile): AsyncGenerator<object> {
    const stream = createReadStream(this.#receivedPath(satellite, file));
    try {
      for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
        if (line) yield JSON.parse(line) as object;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    } finally {
      stream.destroy();
    }
  }

  async #seenKeys(satellite: string, file: ReceivedFile, keyOf: (r: Record<string, unknown>) => string): Promise<Set<string>> {
    const id = `${satellite}\n${file}`;
    let seen = this.#seen.get(id);
    if (!seen) {
      seen = new Set();
      for await (const r of this.received(satellite, file)) seen.add(keyOf(r as Record<string, unknown>));
      this.#seen.set(id, seen);
    }
    return seen;
  }

  #satelliteDir(satellite: string): string {
    // Satellite ids come from bundles: hashed, they can never name a path outside the folder.
    return join(this.#dir, 'received', createHash('sha256').update(satellite).digest('hex').slice(0, 32));
  }

  #receivedPath(satellite: string, file: ReceivedFile): string {
    return join(this.#satelliteDir(satellite), file);
  }
}

async function appendLines(path: string, records: AsyncIterable<object>, keep: (r: object) => boolean, flags: 'a' | 'w'): Promise<number> {
  const handle = await open(path, flags, 0o600);
  let kept = 0;
  let pending = '';
  try {
    for await (const r of records) {
      if (!keep(r)) continue;
      kept += 1;
      pending += JSON.stringify(r) + '\n';
      if (pending.length >= 64 * 1024) {
        await handle.write(pending);
        pending = '';
      }
    }
    if (pending) await handle.write(pending);
  } finally {
    await handle.close();
  }
  return kept;
}
