// The exchange with the cloud (SPEC §5), as the admin API, the command line and the jobs use
// it: registration (network or offline), export, import and network sync, one at a time under
// one lock, with bundles passing through temp files in <dataDir>/tmp that the daemon owns.
// The rules (what a report carries, how a response applies) are daemon/domain/exchange/; this
// file is their IO: temp files, the zip writer bound to the satellite's key, the HTTPS transport.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { BundleError, isBundleError, loadJwks, openBundle, thumbprint, writeBundle } from '../../exchange/bundle/index.ts';
import type { Jwks } from '../../exchange/bundle/index.ts';
import { createTransport, TransportError } from '../../exchange/transport.ts';
import { OutpostError, type ErrorCode } from '../errors.ts';
import { keys } from '../store/index.ts';
import type { AckLedger } from '../domain/reports/acks.ts';
import type { Actor, DomainContext } from '../domain/satellite/context.ts';
import type { AlertView } from '../domain/alerts/alerts.ts';
import { syncAlerts } from '../domain/alerts/sync-alerts.ts';
import { Quarantine, type QuarantineView } from '../domain/exchange/quarantine.ts';
import {
  applyCloudBundle,
  dropAcknowledged,
  ExchangeBook,
  ExchangeLock,
  noExportSources,
  storeSnapshotSink,
  SyncHistory,
  writeRegistrationRequest,
  writeSatelliteReport,
  type BundleWriter,
  type CloudKind,
  type EntitlementSink,
  type ExportResult,
  type ExportSources,
  type HistoryInput,
  type ImportResult,
  type SyncRecord,
} from '../domain/exchange/index.ts';

export type { ImportResult, ExportResult, EntitlementSink, ExportSources } from '../domain/exchange/index.ts';

export interface ExchangeDeps {
  log: Logger;
  /** The acknowledged ranges, shared with ingest (GET /v1/acks). */
  ledger: AckLedger;
  /** Where an entitlement snapshot goes; default: kept whole under `meta!entitlements`. */
  sink?: EntitlementSink;
  /** Transfers and reservations to report; default: none. */
  sources?: ExportSources;
  /** For HTTPS_PROXY and NO_PROXY; default: none. */
  env?: NodeJS.ProcessEnv;
}

/** A bundle written to a temp file for the caller to send; `discard()` removes it. */
export interface BundleFile {
  path: string;
  discard(): Promise<void>;
}

export interface SyncResult {
  sent: { sequence: number; records: number };
  received: { sequence: number };
  acknowledged: number;
}

export interface SyncStatus {
  registration: string;
  mode: 'network' | 'air-gapped';
  lastAttempt: string | null;
  lastSuccess: string | null;
  nextRun: string | null;
  lastError: SyncRecord['lastError'];
  sequence: { exported: number | null; acknowledged: number | null };
}

export async function createExchange(ctx: DomainContext, deps: ExchangeDeps) {
  const { config } = ctx;
  const { log, ledger } = deps;
  const book = await ExchangeBook.load(ctx.store);
  const quarantine = await Quarantine.load(ctx.store);
  const history = await SyncHistory.load(ctx.store);
  const lock = new ExchangeLock();
  const sink = deps.sink ?? storeSnapshotSink;
  const sources = deps.sources ?? noExportSources();
  const tmpDir = path.join(config.dataDir, 'tmp');
  await mkdir(tmpDir, { recursive: true, mode: 0o700 });
  // Leftovers of an exchange cut short by a crash: nobody else writes here.
  for (const name of await readdir(tmpDir)) await rm(path.join(tmpDir, name), { force: true, recursive: true });

  // Queue entries an import acknowledged are removed after it, in the background.
  let housekeeping: Promise<void> = Promise.resolve();
  const dropQueue = async (): Promise<void> => {
    const dropped = await dropAcknowledged(ctx, ledger);
    if (dropped) log.debug({ dropped }, 'removed acknowledged reports from the queue');
  };
  await dropQueue(); // what a crash left behind
  const afterImport = () => {
    housekeeping = housekeeping.then(dropQueue).catch((err: unknown) => {
      if ((err as { code?: string }).code !== 'UNAVAILABLE') log.error({ err }, 'could not remove acknowledged reports from the queue');
    });
  };

  // The satellite's bundles are signed with its key; the domain composes them through this port.
  const write: BundleWriter = (opts) => writeBundle<typeof opts.manifest.kind>({ ...opts, privateKey: ctx.identity.privateKey, publicJwk: ctx.identity.bareJwk });

  const tempFile = (label: string): BundleFile => {
    const p = path.join(tmpDir, `${label}-${randomBytes(6).toString('hex')}.zip`);
    return { path: p, discard: () => rm(p, { force: true }) };
  };

  async function trustedKeys(): Promise<Jwks> {
    const file = config.exchange.cloudKeys;
    if (!file) {
      throw new OutpostError('EXCHANGE_NOT_CONFIGURED', 'exchange.cloudKeys is not set: no cloud key is trusted, so no cloud bundle can be verified.');
    }
    try {
      // Read each time: an operator rotating keys edits the file, no restart needed.
      return await loadJwks(file);
    } catch (err) {
      throw new OutpostError('EXCHANGE_NOT_CONFIGURED', `exchange.cloudKeys: ${(err as Error).message}.`.replace(/\.\.$/, '.'), { cause: err });
    }
  }

  /**
   * The keys a cloud bundle may be signed by. A bundle a satellite made (its report, its
   * registration request) is never one to import here: say what it is and where it goes, rather
   * than that its key is unknown. The payload is unverified, but it only chooses the refusal.
   */
  /** Whether a key of `jwks` has the RFC 7638 thumbprint `kid` (a JWKS need not carry `kid` fields). */
  const trustsKid = async (jwks: Jwks, kid: string): Promise<boolean> => {
    for (const jwk of Array.isArray(jwks?.keys) ? jwks.keys : []) {
      try {
        if ((await thumbprint(jwk)) === kid) return true;
      } catch {
        // not a usable key: it verifies nothing
      }
    }
    return false;
  };

  const cloudBundleKeys = async ({ kid, payload }: { kid: string; payload: unknown }): Promise<Jwks> => {
    const m = (payload ?? {}) as { kind?: unknown; satellite?: unknown };
    const satelliteMade = m.kind === 'satellite-report' || m.kind === 'registration-request';
    // Signed with this satellite's own key: one of its own exports, carried back by mistake.
    if (satelliteMade && kid === ctx.identity.kid) {
      const what = m.kind === 'satellite-report' ? 'a satellite report' : 'a registration request';
      const answer = m.kind === 'satellite-report' ? 'the cloud’s response' : 'the registration response it gives back';
      throw new BundleError('BUNDLE_UNEXPECTED', `This is ${what} made by this satellite: carry it to the cloud and import ${answer}.`);
    }
    const trusted = await trustedKeys();
    // Another satellite's: no key here can verify it, so say what it is rather than that its key is unknown.
    if (satelliteMade && !(await trustsKid(trusted, kid))) {
      const what = m.kind === 'satellite-report' ? 'a satellite report' : 'a registration request';
      throw new BundleError('BUNDLE_UNEXPECTED', `This is ${what} made by another satellite (${String(m.satellite).slice(0, 80)}): it goes to the cloud, and only the cloud's bundles for this satellite are imported here.`);
    }
    return trusted;
  };

  /** Verifies and applies the bundle at `file`; the caller holds the lock. */
  async function importFile(file: string, actor: Actor, kinds?: CloudKind[]): Promise<ImportResult> {
    await trustedKeys(); // unconfigured: said before anything else
    const bundle = await openBundle(file, { trustedKeys: cloudBundleKeys, maxBytes: config.exchange.maxBundleBytes });
    const result = await applyCloudBundle(ctx, { book, ledger, sink, sources }, bundle, actor, { kinds });
    if (result.changes.acknowledged > 0) afterImport();
    if (!result.alreadyApplied) {
      log.info({ kind: result.kind, sequence: result.sequence, inReplyTo: result.inReplyTo, changes: result.changes }, 'applied a cloud bundle');
    }
    return result;
  }

  function cloudUrl(): string {
    if (!config.exchange.url) {
      throw new OutpostError('EXCHANGE_NOT_CONFIGURED', 'exchange.url is not set: this satellite exchanges by files only (export, import, register --offline).');
    }
    return config.exchange.url;
  }

  const transport = () =>
    createTransport({
      url: cloudUrl(),
      caFile: config.exchange.caFile,
      proxy: config.exchange.proxy,
      env: deps.env,
      timeoutSeconds: config.exchange.timeoutSeconds,
      maxResponseBytes: config.exchange.maxBundleBytes,
    });

  async function saveSync(update: ((s: SyncRecord) => SyncRecord) | null, entry?: HistoryInput): Promise<void> {
    // Nothing to write: a refusal or a re-import leaves the store as it was.
    if (update === null && entry !== undefined && !keep(entry)) {
      history.note(ctx.clock(), entry);
      return;
    }
    try {
      await ctx.writer.run((tx) => {
        if (update) {
          const next = update(book.sync);
          tx.put(keys.syncStatus, next);
          tx.after(() => (book.sync = next));
        }
        if (entry && keep(entry)) history.stage(tx, ctx.clock(), entry);
      });
    } catch (err) {
      log.warn({ err }, 'could not record the sync attempt');
    }
    if (entry && !keep(entry)) history.note(ctx.clock(), entry);
  }

  /** What the store keeps: successes. A failure is noted in memory (a failed sync's status is written as before). */
  const keep = (e: HistoryInput): boolean => e.result === 'ok';

  /** One line of the history: a success, or the refusal that `err` is (rethrown by the caller). */
  const failed = (base: Omit<HistoryInput, 'result' | 'error' | 'sequence' | 'received' | 'records'>, err: unknown): HistoryInput => {
    const known = toOutpostError(err);
    const refused = known !== null && known.code !== 'INTERNAL' && !(known.cause instanceof TransportError);
    return {
      ...base,
      sequence: null,
      received: null,
      records: null,
      result: refused ? 'refused' : 'failed',
      error: known ? { code: known.code, message: known.message } : { code: 'INTERNAL', message: 'The exchange failed unexpectedly; the daemon log has the details.' },
    };
  };


  return {
    book,
    lock,

    /** Resolves once the housekeeping after imports is done (tests, shutdown). */
    settled: (): Promise<void> => housekeeping,

    /** Writes the next satellite report to a temp file (for the API to stream). */
    async exportReport(actor: Actor): Promise<ExportResult & { file: BundleFile }> {
      return lock.run('export', async () => {
        const file = tempFile('report');
        const base = { path: 'air-gapped', direction: 'out', kind: 'satellite-report', actor } as const;
        try {
          const result = await writeSatelliteReport(ctx, { book, ledger, sources, write, quarantine }, file.path, actor);
          log.info(result, 'exported a satellite report');
          await saveSync(null, { ...base, sequence: result.sequence, received: null, records: result.records, result: 'ok', error: null });
          return { ...result, file };
        } catch (err) {
          await file.discard();
          await saveSync(null, failed(base, err));
          throw asOutpostError(err);
        }
      });
    },

    /**
     * Spools an uploaded bundle to a temp file (at most exchange.maxBundleBytes), then verifies
     * and applies it. The lock is taken before the upload is read.
     */
    async importStream(body: Readable, declaredBytes: number | null, actor: Actor): Promise<ImportResult> {
      return lock.run('import', async () => {
        const max = config.exchange.maxBundleBytes;
        const tooLarge = () => new OutpostError('BUNDLE_TOO_LARGE', `The bundle is larger than ${max} bytes (exchange.maxBundleBytes).`);
        if (declaredBytes !== null && declaredBytes > max) throw tooLarge();
        const file = tempFile('import');
        try {
          let bytes = 0;
          const limit = new Transform({
            transform(chunk: Buffer, _enc, done) {
              bytes += chunk.length;
              done(bytes > max ? tooLarge() : null, chunk);
            },
          });
          await pipeline(body, limit, createWriteStream(file.path, { flags: 'wx', mode: 0o600 }));
          const result = await importFile(file.path, actor);
          // An applied cloud bundle is a successful exchange, carried by hand or not.
          await saveSync(result.alreadyApplied ? null : (s) => ({ ...s, lastSuccess: ctx.clock().toISOString() }), {
            path: 'air-gapped',
            direction: 'in',
            kind: result.kind,
            sequence: result.sequence,
            received: null,
            records: result.changes.acknowledged,
            result: result.alreadyApplied ? 'already-applied' : 'ok',
            error: null,
            actor,
          });
          return result;
        } catch (err) {
          await saveSync(null, failed({ path: 'air-gapped', direction: 'in', kind: 'bundle', actor }, err));
          throw asOutpostError(err);
        } finally {
          await file.discard();
        }
      });
    },

    /** Writes a registration request to a temp file (register --offline). */
    async registrationRequest(token: string, actor: Actor): Promise<BundleFile> {
      return lock.run('registration', async () => {
        const file = tempFile('registration');
        const base = { path: 'air-gapped', direction: 'out', kind: 'registration-request', actor } as const;
        try {
          await writeRegistrationRequest(ctx, { book, write }, token, file.path, actor);
          await saveSync(null, { ...base, sequence: null, received: null, records: null, result: 'ok', error: null });
          return file;
        } catch (err) {
          await file.discard();
          await saveSync(null, failed(base, err));
          throw asOutpostError(err);
        }
      });
    },

    /** Registers over the network: request out, registration response in, applied. */
    async register(token: string, actor: Actor) {
      return lock.run('registration', async () => {
        cloudUrl();
        await trustedKeys();
        const request = tempFile('registration');
        const response = tempFile('registration-response');
        const t = await transport().catch((err: unknown) => {
          throw asOutpostError(err);
        });
        try {
          await writeRegistrationRequest(ctx, { book, write }, token, request.path, actor);
          await t.postBundle('/v1/satellites/register', request.path, response.path);
          const applied = await importFile(response.path, actor, ['registration-response']);
          await saveSync((s) => ({ ...s, lastSuccess: ctx.clock().toISOString() }), {
            path: 'network',
            direction: 'both',
            kind: 'registration',
            sequence: null,
            received: applied.sequence,
            records: null,
            result: 'ok',
            error: null,
            actor,
          });
          const { satellite, account } = ctx.state;
          log.info({ account: satellite.cloudAccountId }, 'registered with the cloud');
          return {
            registration: satellite.registration,
            account: { id: satellite.cloudAccountId, name: account.name, domain: account.domain, type: account.type },
          };
        } catch (err) {
          await saveSync(null, failed({ path: 'network', direction: 'both', kind: 'registration', actor }, err));
          const mapped = asOutpostError(err);
          log.warn({ code: mapped.code, err: mapped.message }, 'registration with the cloud failed');
          throw mapped;
        } finally {
          await t.close().catch(() => {});
          await request.discard();
          await response.discard();
        }
      });
    },

    /** One network sync: the next report out, the cloud's response in, applied. */
    async sync(actor: Actor): Promise<SyncResult> {
      return lock.run('sync', async () => {
        cloudUrl();
        if (ctx.state.satellite.registration === 'unregistered') {
          throw new OutpostError('NOT_REGISTERED', 'The satellite is not registered with the cloud yet: run "outpost register --token T" first.');
        }
        await trustedKeys();
        const attemptAt = ctx.clock().toISOString();
        let report: BundleFile | null = null;
        const response = tempFile('response');
        let t: Awaited<ReturnType<typeof transport>> | null = null;
        try {
          t = await transport();
          const exported = await writeSatelliteReport(ctx, { book, ledger, sources, write, quarantine }, (report = tempFile('report')).path, actor);
          await t.postBundle(`/v1/satellites/${encodeURIComponent(ctx.identity.id)}/sync`, report.path, response.path);
          const applied = await importFile(response.path, actor, ['cloud-response']);
          await saveSync((s) => ({ ...s, lastAttempt: attemptAt, lastSuccess: ctx.clock().toISOString(), lastError: null, failures: 0, failingSince: null }), {
            path: 'network',
            direction: 'both',
            kind: 'sync',
            sequence: exported.sequence,
            received: applied.sequence,
            records: exported.records,
            result: 'ok',
            error: null,
            actor,
          });
          const result: SyncResult = {
            sent: { sequence: exported.sequence, records: exported.records },
            received: { sequence: applied.sequence },
            acknowledged: applied.changes.acknowledged,
          };
          log.info(result, 'synced with the cloud');
          return result;
        } catch (err) {
          const mapped = toOutpostError(err) ?? new OutpostError('INTERNAL', 'The sync failed unexpectedly; the daemon log has the details.', { cause: err });
          if (mapped.code === 'INTERNAL') log.error({ err }, 'network sync failed unexpectedly');
          await saveSync(
            (s) => ({
              ...s,
              lastAttempt: attemptAt,
              lastError: { code: mapped.code, message: mapped.message, at: attemptAt },
              failures: s.failures + 1,
              failingSince: s.failingSince ?? attemptAt,
            }),
            failed({ path: 'network', direction: 'both', kind: 'sync', actor }, mapped),
          );
          log.warn({ code: mapped.code, err: mapped.message }, 'network sync failed');
          throw mapped.code === 'INTERNAL' ? err : mapped;
        } finally {
          await t?.close().catch(() => {});
          await report?.discard();
          await response.discard();
        }
      });
    },

    /** GET /api/sync; `nextRun` comes from the schedule. */
    status(nextRun: Date | null): SyncStatus {
      return {
        registration: ctx.state.satellite.registration,
        mode: config.exchange.url ? 'network' : 'air-gapped',
        lastAttempt: book.sync.lastAttempt,
        lastSuccess: book.sync.lastSuccess,
        nextRun: config.exchange.url && nextRun ? nextRun.toISOString() : null,
        lastError: book.sync.lastError,
        sequence: { exported: book.exchange.lastExported, acknowledged: book.exchange.acknowledged },
      };
    },

    /** The recent exchanges, newest first (GET /api/sync/history). */
    history: () => history.entries,

    /** `sync-failing` and `sync-overdue` (SPEC §7), for GET /api/alerts. */
    syncAlerts(now: Date): AlertView[] {
      return syncAlerts(ctx, book.sync, now);
    },

    /** Reports an export set aside (domain/exchange/quarantine.ts), for /api/quarantine. */
    quarantine: {
      list: (): QuarantineView[] => quarantine.list().map((item) => quarantine.view(ctx, item)),
      remove: (reportId: string, actor: Actor): Promise<void> => quarantine.remove(ctx, reportId, actor),
      /** One `report-quarantined` alert per report set aside (SPEC §7). */
      alerts: (): AlertView[] => quarantine.alerts(ctx),
    },
  };
}

export type Exchange = Awaited<ReturnType<typeof createExchange>>;

/** Whether a failed sync is worth retrying: the network, the cloud's 5xx, or a busy lock. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof OutpostError && err.code === 'EXCHANGE_BUSY') return true;
  const cause = err instanceof OutpostError ? err.cause : err;
  return cause instanceof TransportError && cause.retryable;
}

/** Bundle refusals and transport failures in the daemon's catalogue; anything else is thrown as it is. */
export function asOutpostError(err: unknown): OutpostError {
  const known = toOutpostError(err);
  if (!known) throw err;
  return known;
}

function toOutpostError(err: unknown): OutpostError | null {
  if (err instanceof OutpostError) return err;
  if (isBundleError(err)) return new OutpostError(err.code, err.message, { cause: err });
  if (err instanceof TransportError) {
    const code: ErrorCode =
      err.kind === 'config'
        ? 'EXCHANGE_NOT_CONFIGURED'
        : err.kind === 'timeout'
          ? 'CLOUD_TIMEOUT'
          : err.kind === 'http'
            ? 'CLOUD_ERROR'
            : err.kind === 'too-large'
              ? 'BUNDLE_TOO_LARGE'
              : 'CLOUD_UNREACHABLE';
    return new OutpostError(code, err.message, { cause: err });
  }
  return null;
}
