// The pull collector (SPEC §9): targets, polls (scheduled and on demand, bounded concurrency, one
// lock per target, overlap skipped, nothing while lapsed), acknowledgement delivery, the RUM file
// export and acknowledgement import. Every change goes through the one writer with its event.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { z } from 'zod';
import { OutpostError } from '../errors.ts';
import type { Tx } from '../store/index.ts';
import { keys, prefixRange } from '../store/index.ts';
import type { Actor, DomainContext } from '../domain/satellite/context.ts';
import { recordEvent } from '../domain/satellite/events.ts';
import { newId } from '../domain/satellite/ids.ts';
import { parseBody } from '../domain/satellite/validate.ts';
import type { Alert } from '../domain/alerts/alerts.ts';
import { checkConnectAddress, parseCidr, parseTargetAddress, type Cidr, type Listener } from '../domain/collector/addresses.ts';
import { stageCollected, type CollectEnv, type CollectOutcome } from '../domain/collector/collect.ts';
import type { EntitlementMap } from '../domain/collector/entitlement-map.ts';
import { partsWithin, splitReports, weigh, type LaneWeight } from '../domain/collector/lane.ts';
import { markRumAcknowledged } from '../domain/collector/retention.ts';
import type { AckEntry, PollResult, RumExportRecord, RumStored, TargetRecord } from '../domain/collector/records.ts';
import { BadAnswer, parseAllReports, type CollectedReport, type SkippedReport } from '../domain/collector/reports.ts';
import { BadXml, checkAckDocument, rumUsageXml } from '../domain/collector/xml.ts';
import { PollError, ProductSession, SecureContexts, type CollectorClientOptions } from './client.ts';
import { openSecretBox, type SecretBox } from './secrets.ts';
import { CollectorSetupError } from './setup.ts';
import { ackDocuments, AckArchiveError } from './ack-archive.ts';
import type { RumRecord } from '../../exchange/bundle/records.ts';
import type { RumSource } from '../domain/exchange/ports.ts';

// The lane's budget per write transaction: domain/collector/lane.ts says why it is small.
export { REPORTS_PER_TRANSACTION } from '../domain/collector/lane.ts';
/** Failures in a row before `collector-failing` stands (SPEC §9). */
export const FAILING_AFTER = 3;
const PEM = /^-----BEGIN CERTIFICATE-----[\s\S]{16,65536}-----END CERTIFICATE-----\s*$/;

const tlsBody = z.strictObject({
  verify: z.boolean().default(true),
  ca: z.string().max(70_000).regex(PEM, 'expected PEM text of a certificate').nullable().default(null),
  pin: z.string().regex(/^[0-9a-fA-F]{64}$/, 'expected the SHA-256 of the certificate, 64 hex digits').nullable().default(null),
});
const text = (max: number) => z.string().min(1).max(max).regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters');
const createBody = z.strictObject({
  address: z.string().max(300),
  username: text(128),
  password: z.string().min(1).max(1024),
  virtualAccount: z.string().min(1).max(1024).optional(),
  tls: tlsBody.prefault({}),
});
const patchBody = z.strictObject({
  address: z.string().max(300).optional(),
  username: text(128).optional(),
  password: z.string().min(1).max(1024).optional(),
  virtualAccount: z.string().min(1).max(1024).optional(),
  tls: z.strictObject({ verify: z.boolean().optional(), ca: tlsBody.shape.ca.optional(), pin: tlsBody.shape.pin.optional() }).optional(),
});

export interface TargetJson {
  id: string;
  address: string;
  username: string;
  virtualAccount: { id: string; path: string };
  tls: { verify: boolean; ca: string | null; pin: string | null };
  createdAt: string;
  lastPoll: PollResult | null;
  acks: { pending: number; delivered: number; lastError: string | null };
  reportsCollected: number;
  warnings: string[];
}

export interface CollectorMetrics {
  poll(result: string): void;
}

export interface CollectorDeps {
  ctx: DomainContext;
  /** Where secrets.key lives (config or <dataDir>/secrets.key). */
  secretsKeyFile: string;
  entitlementMap: EntitlementMap;
  listeners: () => readonly Listener[];
  metrics?: CollectorMetrics;
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void };
  /** Resolves a host name to its addresses (default: the system resolver). */
  resolve?: (host: string) => Promise<string[]>;
}

export interface Collector {
  /** `collector.maxAnswerBytes`: also the bound of an acknowledgement file. */
  readonly maxAnswerBytes: number;
  open(): Promise<void>;
  close(): Promise<void>;
  list(vaIds: ReadonlySet<string> | null): TargetJson[];
  get(id: string): TargetRecord;
  view(t: TargetRecord): TargetJson;
  create(body: unknown, actor: Actor, canUseVa: (vaId: string) => void): Promise<TargetJson>;
  patch(id: string, body: unknown, actor: Actor, canUseVa: (vaId: string) => void): Promise<TargetJson>;
  remove(id: string, actor: Actor): Promise<void>;
  /** Starts polls of these targets (all when null) in the background; answers how many started. */
  poll(ids: readonly string[] | null, actor: Actor): Promise<{ started: number }>;
  /** The scheduled round: skipped when the previous one still runs. */
  scheduledRound(): Promise<void>;
  /** Resolves once no poll or delivery runs. */
  idle(): Promise<void>;
  alerts(now: Date): Alert[];
  /** `outpost rum export`: the unacknowledged RUM reports as Cisco's usage file. */
  exportRum(actor: Actor): Promise<{ xml: string; export: number; reports: number }>;
  /** `outpost rum import-ack`: queues the document(s) for the products of export `n` (the newest when null). */
  importAck(bytes: Buffer, n: number | null, actor: Actor): Promise<{ export: number; documents: number; queued: number; acknowledged: number }>;
  /** The exchange's port (SPEC §9 "To the cloud"): rum.ndjson out, received and rum-acks back. */
  rumSource: RumSource;
}

/** A simple FIFO mutex per key. */
class Locks {
  readonly #tails = new Map<string, Promise<void>>();
  async with<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.#tails.set(key, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}

export function createCollector(deps: CollectorDeps): Collector {
  const { ctx } = deps;
  const cfg = ctx.config.collector;
  const allowed: Cidr[] = cfg.allowedNetworks.map((c) => parseCidr(c) as Cidr);
  const targets = new Map<string, TargetRecord>();
  const failingSince = new Map<string, string>();
  const locks = new Locks();
  const running = new Set<Promise<unknown>>();
  let box: SecretBox | null = null;
  let roundRunning = false;
  let closed = false;
  const resolve = deps.resolve ?? (async (host: string) => (await lookup(host, { all: true })).map((a) => a.address));
  const clientOptions: CollectorClientOptions = {
    timeoutSeconds: cfg.timeoutSeconds,
    maxAnswerBytes: cfg.maxAnswerBytes,
    allowedNetworks: allowed,
    listeners: deps.listeners,
    ackBody: cfg.ackBody,
    ackField: cfg.ackField,
    contexts: new SecureContexts(),
  };
  const env: CollectEnv = { seq: ctx.seq, events: ctx, state: ctx.state, entitlementMap: deps.entitlementMap };

  const notFound = (id: string) => new OutpostError('NOT_FOUND', `No collector target ${JSON.stringify(id)}.`);
  const invalid = (m: string) => new OutpostError('INVALID_REQUEST', m);

  async function secrets(): Promise<SecretBox> {
    box ??= await openSecretBox(deps.secretsKeyFile, { create: true });
    return box!;
  }

  function view(t: TargetRecord): TargetJson {
    const warnings: string[] = [];
    if (!t.tls.verify && !t.tls.pin) warnings.push('TLS verification is off: the product\'s identity is not checked.');
    else if (!t.tls.verify) warnings.push('TLS verification is off; only the certificate pin is checked.');
    return {
      id: t.id, address: t.address, username: t.username, virtualAccount: ctx.state.vaRef(t.vaId), tls: { ...t.tls }, createdAt: t.createdAt,
      lastPoll: t.lastPoll, acks: { ...t.acks }, reportsCollected: t.collected, warnings,
    };
  }

  /** The address check at creation: every resolved address allowed, none a listener of ours. */
  async function checkAddress(address: string): Promise<{ address: string; host: string; port: number }> {
    const a = parseTargetAddress(address);
    if (typeof a === 'string') throw invalid(`Field "address" ${a}.`);
    let ips: string[];
    try {
      ips = isIP(a.host) ? [a.host] : await resolve(a.host);
    } catch {
      throw invalid(`Field "address": ${a.host} does not resolve.`);
    }
    if (ips.length === 0) throw invalid(`Field "address": ${a.host} does not resolve.`);
    for (const ip of ips) {
      const why = checkConnectAddress(ip, a.port, allowed, deps.listeners());
      if (why) throw invalid(`Field "address": ${why}.`);
    }
    return a;
  }

  function resolveVa(name: string | undefined) {
    return name === undefined ? ctx.state.defaultVa : ctx.state.resolveVa(name);
  }

  async function lockedUpdate(id: string, fn: (t: TargetRecord, tx: Tx) => Promise<TargetRecord> | TargetRecord): Promise<TargetRecord> {
    return ctx.writer.run(async (tx) => {
      const t = await tx.get<TargetRecord>(keys.target(id));
      if (!t) throw notFound(id);
      const next = await fn(t, tx);
      tx.put(keys.target(id), next);
      tx.after(() => targets.set(id, next));
      return next;
    });
  }

  // ---- polling ----

  // ---- storing answers: the storage lane ----
  //
  // Polls hand their parsed answers, cut into parts within the lane's budget (lane.ts: a few
  // dozen reports, 64 k characters), to one lane that stores whatever is waiting — several
  // targets' parts, within the same budget — in one write transaction, then leaves the writer
  // free for as long as that write took. A device report never waits behind more than one small
  // transaction of collected reports, and 32 polls finishing together do not fill the batches.

  interface StoreJob {
    id: string;
    reports: CollectedReport[];
    weight: LaneWeight;
    skipped: SkippedReport[];
    now: Date;
    /** For the answer's last part: what its earlier parts stored (the poll's result and event go with it); else null. */
    final: CollectOutcome | null;
    resolve: (o: CollectOutcome | null) => void;
    reject: (e: unknown) => void;
  }
  const storeQueue: StoreJob[] = [];
  let laneRunning = false;

  function storeAnswer(job: Omit<StoreJob, 'resolve' | 'reject' | 'weight'>): Promise<CollectOutcome | null> {
    return new Promise((resolve, reject) => {
      storeQueue.push({ ...job, weight: weigh(job.reports), resolve, reject });
      if (!laneRunning) void runLane();
    });
  }

  async function runLane(): Promise<void> {
    laneRunning = true;
    try {
      while (storeQueue.length > 0) {
        const batch = storeQueue.splice(0, partsWithin(storeQueue.map((j) => j.weight)));
        const started = performance.now();
        try {
          const results = await ctx.writer.run(async (tx) => {
            const out: Array<CollectOutcome | null> = [];
            for (const job of batch) out.push(await stageAnswer(tx, job));
            return out;
          });
          batch.forEach((job, i) => job.resolve(results[i]!));
        } catch (e) {
          for (const job of batch) job.reject(e);
        }
        if (closed) continue;
        await new Promise((r) => setTimeout(r, Math.min(performance.now() - started, 1000)));
      }
    } finally {
      laneRunning = false;
    }
  }

  /** One answer (or part of one) in the lane's transaction; null when the target is gone. */
  async function stageAnswer(tx: Tx, job: StoreJob): Promise<CollectOutcome | null> {
    const { id, now } = job;
    const cur = await tx.get<TargetRecord>(keys.target(id));
    if (!cur) return null;
    const staged = await stageCollected(tx, env, cur, job.reports, job.skipped, now);
    if (!job.final) {
      const next: TargetRecord = { ...cur, collected: cur.collected + staged.stored };
      tx.put(keys.target(id), next);
      tx.after(() => targets.set(id, next));
      return staged;
    }
    const before = job.final;
    const taken = [...before.taken, ...staged.taken.filter((u) => !before.taken.some((x) => x.pid === u.pid && x.sn === u.sn))];
    const stored = before.stored + staged.stored;
    const error = taken.length
      ? { code: 'COLLECTOR_UDI_TAKEN', message: `UDI ${taken.map((u) => `${u.pid}/${u.sn}`).join(', ')} is registered through the device API or policy mode; its reports were skipped.` }
      : null;
    const next: TargetRecord = { ...cur, lastPoll: { at: now.toISOString(), ok: true, reports: stored, error }, failures: 0, collected: cur.collected + staged.stored };
    tx.put(keys.target(id), next);
    recordEvent(tx, ctx, now, {
      actor: 'system', type: 'collector.polled', vaId: cur.vaId,
      details: {
        target: id, stored, duplicates: before.duplicates + staged.duplicates, conflicts: before.conflicts + staged.conflicts, skipped: job.skipped.length,
        ...(error ? { error: error.code } : {}),
      },
    });
    tx.after(() => targets.set(id, next));
    return staged;
  }

  async function pollTarget(id: string): Promise<void> {
    await locks.with(id, async () => {
      const t = targets.get(id);
      if (!t || closed) return;
      if (ctx.state.satellite.registration === 'lapsed') return;
      const now = ctx.clock();
      let session: ProductSession | null = null;
      let result: PollResult;
      let body: string | null = null;
      try {
        const password = (await secrets()).decrypt(t.id, t.password);
        session = new ProductSession({ address: t.address, username: t.username, password, tls: t.tls }, clientOptions);
        body = await session.collect();
      } catch (e) {
        const err = e instanceof PollError ? e : new PollError('COLLECTOR_UNREACHABLE', 'The poll failed before reaching the product.');
        if (!(e instanceof PollError)) deps.log?.warn({ target: t.id, err: (e as Error).message }, 'collector poll failed');
        result = { at: now.toISOString(), ok: false, reports: 0, error: { code: err.code, message: err.message } };
        await session?.close();
        await finish(t, result, null);
        return;
      }
      let parsed;
      try {
        parsed = parseAllReports(body);
      } catch (e) {
        await session.close();
        const message = e instanceof BadAnswer ? e.message : 'The answer could not be read.';
        await finish(t, { at: now.toISOString(), ok: false, reports: 0, error: { code: 'COLLECTOR_BAD_ANSWER', message } }, null);
        return;
      }
      body = null;
      // An answer is stored a part (lane.ts) at a time, each report whole in one transaction, each
      // part adding what it stored to the target's count; the poll's result and event go with the
      // last, so a poll cut short is taken again, its stored reports as duplicates.
      const chunks: CollectedReport[][] = splitReports(parsed.reports);
      if (chunks.length === 0) chunks.push([]);
      const total: CollectOutcome = { stored: 0, duplicates: 0, conflicts: 0, taken: [] };
      let outcome: CollectOutcome | null = null;
      for (const [i, chunk] of chunks.entries()) {
        const last = i === chunks.length - 1;
        const o = await storeAnswer({ id, reports: chunk, skipped: last ? parsed.skipped : [], now, final: last ? total : null });
        if (!o) break;
        total.stored += o.stored;
        total.duplicates += o.duplicates;
        total.conflicts += o.conflicts;
        for (const u of o.taken) if (!total.taken.some((x) => x.pid === u.pid && x.sn === u.sn)) total.taken.push(u);
        if (last) outcome = total;
      }
      deps.metrics?.poll(outcome?.taken.length ? 'udi_taken' : 'ok');
      failingSince.delete(id);
      try {
        // Most polls have nothing to deliver: no need to read the target's queue for them.
        if ((targets.get(id)?.acks.pending ?? 1) > 0) await deliverAcks(id, session);
      } finally {
        await session.close();
      }
    });
  }

  async function finish(t: TargetRecord, result: PollResult, _unused: null): Promise<void> {
    deps.metrics?.poll(result.error!.code.replace(/^COLLECTOR_/, '').toLowerCase());
    const next = await lockedUpdate(t.id, (cur, tx) => {
      recordEvent(tx, ctx, ctx.clock(), { actor: 'system', type: 'collector.poll_failed', vaId: cur.vaId, details: { target: t.id, code: result.error!.code, message: result.error!.message } });
      return { ...cur, lastPoll: result, failures: cur.failures + 1 };
    }).catch(() => null);
    if (next && next.failures >= FAILING_AFTER && !failingSince.has(t.id)) failingSince.set(t.id, result.at);
  }

  async function deliverAcks(id: string, session: ProductSession): Promise<void> {
    const pending: AckEntry[] = [];
    for await (const [, v] of ctx.store.iterate<AckEntry>(prefixRange(keys.rumAckPrefix(id)))) if (!v.deliveredAt) pending.push(v);
    for (const a of pending) {
      let error: string | null = null;
      try {
        await session.deliverAck(a.document);
      } catch (e) {
        error = e instanceof PollError ? `${e.code}: ${e.message}` : 'The delivery failed.';
      }
      const now = ctx.clock();
      await lockedUpdate(id, async (cur, tx) => {
        const entry = await tx.get<AckEntry>(keys.rumAck(id, a.seq));
        if (!entry || entry.deliveredAt) return cur;
        tx.put(keys.rumAck(id, a.seq), { ...entry, attempts: entry.attempts + 1, lastError: error, deliveredAt: error ? null : now.toISOString() });
        recordEvent(tx, ctx, now, {
          actor: 'system', type: error ? 'collector.ack_failed' : 'collector.ack_delivered', vaId: cur.vaId,
          details: { target: id, udi: entry.udi, reportIds: entry.reportIds.length, ...(error ? { error } : {}) },
        });
        return error
          ? { ...cur, acks: { ...cur.acks, lastError: error } }
          : { ...cur, acks: { pending: Math.max(0, cur.acks.pending - 1), delivered: cur.acks.delivered + 1, lastError: null } };
      }).catch(() => {});
      if (error) break; // the product refuses now: the rest wait for the next poll, in order
    }
  }

  /** Deliveries alone (after an import), under the target's lock. */
  async function deliverOnly(id: string): Promise<void> {
    await locks.with(id, async () => {
      const t = targets.get(id);
      if (!t || closed || t.acks.pending === 0) return;
      let session: ProductSession | null = null;
      try {
        session = new ProductSession({ address: t.address, username: t.username, password: (await secrets()).decrypt(t.id, t.password), tls: t.tls }, clientOptions);
        await deliverAcks(id, session);
      } finally {
        await session?.close();
      }
    });
  }

  function track<T>(p: Promise<T>): Promise<T> {
    const q = p.catch((e: unknown) => {
      deps.log?.warn({ err: (e as Error).message }, 'collector task failed');
    }) as Promise<unknown>;
    running.add(q);
    void q.finally(() => running.delete(q));
    return p;
  }

  /** Runs `fn` over `ids` with at most `collector.concurrency` at once. */
  async function pool(ids: readonly string[], fn: (id: string) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < ids.length && !closed) {
        const id = ids[next++]!;
        await fn(id).catch((e: unknown) => deps.log?.warn({ target: id, err: (e as Error).message }, 'collector poll failed'));
      }
    };
    await Promise.all(Array.from({ length: Math.min(cfg.concurrency, ids.length) }, worker));
  }

  // ---- acknowledgements ----

  async function queueAck(tx: Tx, targetId: string, udi: { pid: string; sn: string }, reportIds: string[], document: string, now: Date): Promise<void> {
    const t = await tx.get<TargetRecord>(keys.target(targetId));
    if (!t) return;
    const seq = ctx.seq.next(tx, 'rum-ack');
    const entry: AckEntry = { seq, targetId, udi, reportIds, document, queuedAt: now.toISOString(), deliveredAt: null, attempts: 0, lastError: null };
    tx.put(keys.rumAck(targetId, seq), entry);
    // Several queue entries of one transaction for one target: read back what this tx staged.
    const next = { ...t, acks: { ...t.acks, pending: t.acks.pending + 1 } };
    tx.put(keys.target(targetId), next);
    tx.after(() => targets.set(targetId, next));
  }

  const rumSource: RumSource = {
    async *pending() {
      const prefix = keys.rumQueuePrefix;
      for await (const [k, rumKey] of ctx.store.iterate<string>(prefixRange(prefix))) {
        const r = await ctx.store.get<RumStored>(rumKey);
        if (!r?.report) continue;
        const record: RumRecord = {
          udi: r.udi, reportId: r.reportId, virtualAccount: (ctx.state.vas.has(r.vaId) && ctx.state.vaPath(r.vaId)) || 'Default',
          report: JSON.parse(r.report) as RumRecord['report'], collectedAt: r.collectedAt,
        };
        yield { cursor: k.slice(prefix.length), record };
      }
    },
    async acknowledge(tx, cursor) {
      // Received: every queue entry up to the cursor leaves rum.ndjson.
      const prefix = keys.rumQueuePrefix;
      for await (const [k, rumKey] of ctx.store.iterate<string>({ gte: prefix, lte: `${prefix}${cursor}` })) {
        tx.del(k);
        const r = await tx.get<RumStored>(rumKey);
        if (r && r.queueSeq === Number(k.slice(prefix.length))) tx.put(rumKey, { ...r, queueSeq: null });
      }
    },
    async acknowledgeRum(tx, records, now) {
      let n = 0;
      for (const rec of records) {
        const { targetId, count } = await markRumAcknowledged(tx, rec.udi, rec.reportIds, now);
        n += count;
        if (targetId) await queueAck(tx, targetId, rec.udi, [...rec.reportIds], Buffer.from(rec.ack, 'base64').toString('utf8'), now);
      }
      return n;
    },
    afterImport() {
      for (const t of targets.values()) if (t.acks.pending > 0) void track(deliverOnly(t.id));
    },
  };

  return {
    maxAnswerBytes: cfg.maxAnswerBytes,
    rumSource,
    async open() {
      for await (const [, t] of ctx.store.iterate<TargetRecord>(prefixRange(keys.targetPrefix))) targets.set(t.id, t);
      // Passwords without their key cannot be used: stop the start with one line rather than fail every poll.
      try {
        box = await openSecretBox(deps.secretsKeyFile, { create: false });
      } catch (e) {
        throw new CollectorSetupError(`collector.secretsKeyFile: ${(e as Error).message}`);
      }
      if (!box && targets.size > 0) {
        throw new CollectorSetupError(`collector.secretsKeyFile: ${deps.secretsKeyFile} is missing, but ${targets.size} collector target(s) hold passwords encrypted with it; restore it from the backup`);
      }
      for (const t of targets.values()) if (t.failures >= FAILING_AFTER && t.lastPoll) failingSince.set(t.id, t.lastPoll.at);
    },
    async close() {
      closed = true;
      await Promise.all([...running]);
    },
    list(vaIds) {
      return [...targets.values()].filter((t) => !vaIds || vaIds.has(t.vaId)).sort((a, b) => (a.id < b.id ? -1 : 1)).map(view);
    },
    get(id) {
      const t = targets.get(id);
      if (!t) throw notFound(id);
      return t;
    },
    view,
    async create(body, actor, canUseVa) {
      const input = parseBody(createBody, body);
      const va = resolveVa(input.virtualAccount);
      canUseVa(va.id);
      const a = await checkAddress(input.address);
      const sb = await secrets();
      const now = ctx.clock();
      const id = newId('tgt');
      const t: TargetRecord = {
        id, address: a.address, host: a.host, port: a.port, username: input.username, password: sb.encrypt(id, input.password), vaId: va.id,
        tls: { verify: input.tls.verify, ca: input.tls.ca, pin: input.tls.pin?.toLowerCase() ?? null }, createdAt: now.toISOString(),
        lastPoll: null, failures: 0, collected: 0, acks: { pending: 0, delivered: 0, lastError: null },
      };
      await ctx.writer.run(async (tx) => {
        if (await tx.get(keys.targetAddress(t.address))) throw new OutpostError('NAME_TAKEN', `A target with the address ${t.address} exists.`);
        tx.put(keys.target(id), t);
        tx.put(keys.targetAddress(t.address), id);
        recordEvent(tx, ctx, now, { actor, type: 'collector.target_created', vaId: va.id, details: { target: id, address: t.address, username: t.username, tls: { verify: t.tls.verify, ca: !!t.tls.ca, pin: t.tls.pin } } });
        tx.after(() => targets.set(id, t));
      });
      return view(t);
    },
    async patch(id, body, actor, canUseVa) {
      const input = parseBody(patchBody, body);
      const cur = this.get(id);
      const a = input.address !== undefined ? await checkAddress(input.address) : null;
      const tls = { verify: input.tls?.verify ?? cur.tls.verify, ca: input.tls?.ca !== undefined ? input.tls.ca : cur.tls.ca, pin: input.tls?.pin !== undefined ? input.tls.pin?.toLowerCase() ?? null : cur.tls.pin };
      // A password sent to one product must not follow the target to another, or to a weaker check.
      const weakens = (cur.tls.verify && !tls.verify) || (cur.tls.pin !== null && tls.pin !== cur.tls.pin) || (tls.ca !== cur.tls.ca && tls.ca !== null);
      if ((a && a.address !== cur.address) || weakens) {
        if (input.password === undefined) throw invalid('Field "password" is required when the address changes or TLS checking is weakened.');
      }
      const vaId = input.virtualAccount !== undefined ? resolveVa(input.virtualAccount).id : cur.vaId;
      if (vaId !== cur.vaId) canUseVa(vaId);
      const sb = input.password !== undefined ? await secrets() : null;
      const now = ctx.clock();
      const next = await ctx.writer.run(async (tx) => {
        const t = await tx.get<TargetRecord>(keys.target(id));
        if (!t) throw notFound(id);
        const n: TargetRecord = {
          ...t, ...(a ? { address: a.address, host: a.host, port: a.port } : {}), username: input.username ?? t.username,
          password: sb ? sb.encrypt(id, input.password!) : t.password, vaId, tls,
        };
        if (n.address !== t.address) {
          if (await tx.get(keys.targetAddress(n.address))) throw new OutpostError('NAME_TAKEN', `A target with the address ${n.address} exists.`);
          tx.del(keys.targetAddress(t.address));
          tx.put(keys.targetAddress(n.address), id);
        }
        tx.put(keys.target(id), n);
        const changed = Object.keys(input).filter((k) => k !== 'password');
        recordEvent(tx, ctx, now, { actor, type: 'collector.target_updated', vaId: n.vaId, details: { target: id, changed, passwordChanged: input.password !== undefined } });
        tx.after(() => targets.set(id, n));
        return n;
      });
      return view(next);
    },
    async remove(id, actor) {
      const cur = this.get(id);
      await locks.with(id, () => ctx.writer.run(async (tx) => {
        const t = await tx.get<TargetRecord>(keys.target(id));
        if (!t) throw notFound(id);
        tx.del(keys.target(id));
        tx.del(keys.targetAddress(t.address));
        for await (const [k] of ctx.store.iterate(prefixRange(keys.rumAckPrefix(id)))) tx.del(k);
        recordEvent(tx, ctx, ctx.clock(), { actor, type: 'collector.target_deleted', vaId: cur.vaId, details: { target: id, address: t.address } });
        tx.after(() => {
          targets.delete(id);
          failingSince.delete(id);
        });
      }));
    },
    async poll(ids, actor) {
      const list = ids ?? [...targets.keys()];
      for (const id of list) this.get(id);
      if (ctx.state.satellite.registration === 'lapsed') return { started: 0 };
      await ctx.writer.run((tx) => {
        recordEvent(tx, ctx, ctx.clock(), { actor, type: 'collector.poll_requested', vaId: null, details: { targets: ids ? [...ids] : 'all', count: list.length } });
      });
      void track(pool(list, pollTarget));
      return { started: list.length };
    },
    async scheduledRound() {
      if (roundRunning) {
        deps.log?.info({}, 'collector round skipped: the previous one still runs');
        return;
      }
      if (ctx.state.satellite.registration === 'lapsed') return;
      roundRunning = true;
      try {
        await track(pool([...targets.keys()], pollTarget));
      } finally {
        roundRunning = false;
      }
    },
    async idle() {
      while (running.size) await Promise.all([...running]);
    },
    alerts(now) {
      void now;
      const out: Alert[] = [];
      for (const [id, since] of failingSince) {
        const t = targets.get(id);
        if (!t || t.failures < FAILING_AFTER) continue;
        out.push({
          type: 'collector-failing', severity: 'warning', vaId: t.vaId, entitlement: null, since,
          message: `Collector target ${t.address} failed ${t.failures} polls in a row (${t.lastPoll?.error?.code ?? 'unknown'}).`,
          subject: { kind: 'target', id },
        });
      }
      return out;
    },
    async exportRum(actor) {
      const now = ctx.clock();
      return ctx.writer.run(async (tx) => {
        const reports: RumExportRecord['reports'] = [];
        const texts: string[] = [];
        for await (const [, r] of ctx.store.iterate<RumStored>(prefixRange(keys.rumPrefix))) {
          if (r.acknowledged || !r.report) continue;
          reports.push({ key: keys.rum(r.udi.pid, r.udi.sn, r.reportId), targetId: r.targetId, udi: r.udi, reportId: r.reportId });
          texts.push(r.report);
        }
        const n = ctx.seq.next(tx, 'rum-export');
        tx.put(keys.rumExport(n), { n, at: now.toISOString(), reports } satisfies RumExportRecord);
        recordEvent(tx, ctx, now, { actor, type: 'collector.rum_exported', vaId: null, details: { export: n, reports: reports.length } });
        return { xml: rumUsageXml(texts), export: n, reports: reports.length };
      });
    },
    async importAck(bytes, n, actor) {
      let docs;
      try {
        docs = await ackDocuments(bytes, cfg.maxAnswerBytes);
        for (const d of docs) checkAckDocument(d.text);
      } catch (e) {
        if (e instanceof AckArchiveError || e instanceof BadXml) throw invalid(e.message);
        throw e;
      }
      const now = ctx.clock();
      const result = await ctx.writer.run(async (tx) => {
        let exp: RumExportRecord | undefined;
        if (n === null) {
          const last = ctx.seq.current('rum-export');
          exp = last ? await tx.get<RumExportRecord>(keys.rumExport(last)) : undefined;
        } else exp = await tx.get<RumExportRecord>(keys.rumExport(n));
        if (!exp) throw new OutpostError('NOT_FOUND', n === null ? 'No RUM export has been made yet.' : `No RUM export ${n}.`);
        // A real acknowledgement does not say which reports it covers in a form we can read: it answers the export.
        const byProduct = new Map<string, { targetId: string; udi: { pid: string; sn: string }; ids: string[] }>();
        for (const r of exp.reports) {
          const k = `${r.targetId}\u0000${r.udi.pid}\u0000${r.udi.sn}`;
          const e = byProduct.get(k) ?? { targetId: r.targetId, udi: r.udi, ids: [] };
          e.ids.push(r.reportId);
          byProduct.set(k, e);
        }
        let queued = 0;
        let acknowledged = 0;
        for (const p of byProduct.values()) {
          acknowledged += (await markRumAcknowledged(tx, p.udi, p.ids, now)).count;
          for (const d of docs) {
            await queueAck(tx, p.targetId, p.udi, p.ids, d.text, now);
            queued++;
          }
        }
        recordEvent(tx, ctx, now, { actor, type: 'collector.ack_imported', vaId: null, details: { export: exp.n, documents: docs.length, queued, acknowledged } });
        return { export: exp.n, documents: docs.length, queued, acknowledged };
      });
      rumSource.afterImport();
      return result;
    },
  };
}
