// Policy mode (Smart Licensing Using Policy): a device reports usage without registering, in a
// compact JWS signed by its own Ed25519 key carried in the header. The first valid report for a
// UDI registers the device and pins the key's RFC 7638 thumbprint (trust on first report).
import { createHash, createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { OutpostError } from '../../errors.ts';
import { keys, type Tx } from '../../store/index.ts';
import type { DomainContext } from '../satellite/context.ts';
import { assertServing } from './device-state.ts';
import { udiSchema } from './registration.ts';
import { journalDeviceChange } from './device-journal.ts';
import { stageDevice } from './device-index.ts';
import { recordEvent } from '../satellite/events.ts';
import { canonicalJson, newId, sha256 } from '../satellite/ids.ts';
import { parseBoundedJson } from '../satellite/bounded-json.ts';
import type { Ingest, IngestAnswer } from '../reports/ingest.ts';
import type { DeviceRecord, VirtualAccount } from '../satellite/records.ts';
import { parseBody, text } from '../satellite/validate.ts';

const invalid = (message: string) => new OutpostError('INVALID_REQUEST', message);

const usageEnvelope = z.object({
  udi: udiSchema,
  hostname: text(1, 255).nullable().optional(),
  acksAfter: z.string().regex(/^\d{0,16}$/, 'expected a cursor from an earlier answer').optional(),
});

interface Verified {
  payload: Record<string, unknown>;
  thumbprint: string;
}

/** RFC 7638 thumbprint of an Ed25519 public JWK: SHA-256 over its required members, in order. */
export function okpThumbprint(x: string): string {
  return createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest('base64url');
}

const B64URL = /^[A-Za-z0-9_-]*$/;

/** Does `pid` match one of the patterns ("*", an exact PID, or a prefix ending in "*")? */
export function pidAllowed(pid: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => p === '*' || p === pid || (p.endsWith('*') && pid.startsWith(p.slice(0, -1))));
}

export function createPolicyMode(ctx: DomainContext, ingest: Ingest) {
  const { state } = ctx;
  const cfg = ctx.config.device.policyMode;
  const keyCache = new Map<string, { key: KeyObject; thumbprint: string }>();

  function publicKeyOf(x: string): { key: KeyObject; thumbprint: string } {
    let entry = keyCache.get(x);
    if (!entry) {
      try {
        entry = { key: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' }), thumbprint: okpThumbprint(x) };
      } catch {
        throw invalid('The "jwk" in the header is not a valid Ed25519 public key.');
      }
      if (keyCache.size >= 100_000) keyCache.delete(keyCache.keys().next().value!);
      keyCache.set(x, entry);
    }
    return entry;
  }

  /** Checks the compact JWS and its signature; the verification runs on the thread pool. */
  async function verifyJws(compact: string): Promise<Verified> {
    const parts = compact.trim().split('.');
    if (parts.length !== 3 || !parts.every((p) => B64URL.test(p)) || !parts[0] || !parts[1] || !parts[2]) {
      throw invalid('The body is not a compact JWS (header.payload.signature in base64url).');
    }
    const header = parseBoundedJson(Buffer.from(parts[0], 'base64url').toString('utf8'), 'The JWS header') as Record<string, unknown>;
    if (typeof header !== 'object' || header === null) throw invalid('The JWS header is not a JSON object.');
    if (header.alg !== 'EdDSA') throw invalid('The JWS "alg" must be "EdDSA".');
    if (header.crit !== undefined) throw invalid('The JWS header must not carry "crit".');
    const jwk = header.jwk as Record<string, unknown> | undefined;
    if (!jwk || typeof jwk !== 'object') throw invalid('The JWS header must carry the device\'s public key as "jwk".');
    if ('d' in jwk) throw invalid('The "jwk" in the header holds private key material; send the public key only.');
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string' || !B64URL.test(jwk.x) || Buffer.from(jwk.x, 'base64url').length !== 32) {
      throw invalid('The "jwk" in the header must be an Ed25519 public key (kty "OKP", crv "Ed25519").');
    }
    const { key, thumbprint } = publicKeyOf(jwk.x);
    const signature = Buffer.from(parts[2], 'base64url');
    const ok = await new Promise<boolean>((resolve) =>
      verifySignature(null, Buffer.from(`${parts[0]}.${parts[1]}`), key, signature, (err, valid) => resolve(!err && valid)),
    );
    if (!ok) throw new OutpostError('SIGNATURE_INVALID', 'The report\'s signature does not verify with the key in its header.');
    const payload = parseBoundedJson(Buffer.from(parts[1], 'base64url').toString('utf8'), 'The JWS payload');
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw invalid('The JWS payload must be a JSON object.');
    return { payload: payload as Record<string, unknown>, thumbprint };
  }

  /** KEY_MISMATCH unless `thumbprint` may report for `device` (none yet, or the pinned key). */
  function checkPin(device: DeviceRecord | undefined, thumbprint: string): void {
    if (!device) return;
    if (device.via === 'collector') throw new OutpostError('KEY_MISMATCH', 'This UDI is collected from its product by the satellite; it cannot report in policy mode.');
    if (device.via !== 'policy') throw new OutpostError('KEY_MISMATCH', 'This UDI is registered with a token; it cannot report in policy mode.');
    if (device.keyThumbprint && device.keyThumbprint !== thumbprint) {
      throw new OutpostError('KEY_MISMATCH', 'This UDI is pinned to another key; a user must reset the pin first.');
    }
  }

  function checkNew(pid: string, policyDevices: number): void {
    if (!pidAllowed(pid, cfg.allowedPids)) throw new OutpostError('POLICY_REFUSED', `Product ${JSON.stringify(pid)} may not report in policy mode here.`);
    if (policyDevices >= cfg.maxDevices) throw new OutpostError('POLICY_REFUSED', 'The satellite takes no more policy-mode devices.');
  }

  const policyVa = (): VirtualAccount => {
    const va = state.vaByPath(cfg.virtualAccount);
    if (!va) throw new OutpostError('UNAVAILABLE', 'The policy-mode virtual account is missing.');
    return va;
  };

  return {
    /** POST /v1/usage: the body is the compact JWS. */
    async usage(compact: string) {
      const now = ctx.clock();
      const { payload, thumbprint } = await verifyJws(compact);
      const envelope = parseBody(usageEnvelope, payload);
      const { pid, sn } = envelope.udi;
      checkPin(state.deviceByUdi(pid, sn), thumbprint);
      const report = ingest.validate(payload, now);
      assertServing(ctx);
      // acksAfter is transport, not report: a resend with a newer cursor is the same report.
      const { acksAfter: _cursor, ...content } = payload;
      const digest = sha256(canonicalJson(content));
      const vaId = policyVa().id;
      // A known, pinned, registered device only stages its report, which reads nothing but `tx`.
      const known = state.deviceByUdi(pid, sn);
      const steady = known?.state === 'registered' && !!known.keyThumbprint && !known.revoked;

      const answer = await ctx.writer.run(
        async (tx: Tx): Promise<{ device: DeviceRecord; answer: IngestAnswer }> => {
          const existingId = await tx.get<string>(keys.udi(pid, sn));
          const existing = existingId ? await tx.get<DeviceRecord>(keys.device(existingId)) : undefined;
          checkPin(existing, thumbprint);
          if (existing?.revoked) throw new OutpostError('DEVICE_REVOKED', 'The license cloud revoked this device; a user must reinstate it.');
          let device = existing;
          if (!device) {
            const count = (await tx.get<number>(keys.policyDeviceCount)) ?? 0;
            checkNew(pid, count);
            tx.put(keys.policyDeviceCount, count + 1);
            device = {
              id: newId('dev'),
              udi: { pid, sn },
              hostname: envelope.hostname ?? null,
              vaId,
              state: 'registered',
              via: 'policy',
              registeredAt: now.toISOString(),
              credentialId: null,
              revoked: false,
              keyThumbprint: thumbprint,
            };
            recordEvent(tx, ctx, now, { actor: `device:${device.id}`, type: 'device.registered', vaId, details: { udi: device.udi, via: 'policy', keyThumbprint: thumbprint } });
          } else if (device.state !== 'registered' || !device.keyThumbprint) {
            // Usage is the truth: a deregistered policy device that reports with its pinned key is in use again.
            const again = device.state !== 'registered';
            device = { ...device, state: 'registered', keyThumbprint: thumbprint, ...(envelope.hostname ? { hostname: envelope.hostname } : {}) };
            recordEvent(tx, ctx, now, {
              actor: `device:${device.id}`,
              type: again ? 'device.registered' : 'device.key_pinned',
              vaId: device.vaId,
              details: { udi: device.udi, via: 'policy', keyThumbprint: thumbprint },
            });
          } else {
            return { device, answer: await ingest.stage(tx, device, report, digest, now) };
          }
          const changed = device;
          await stageDevice(tx, state, existing, changed);
          if (changed.state !== existing?.state) journalDeviceChange(tx, ctx.seq, state, changed, now);
          return { device: changed, answer: await ingest.stage(tx, changed, report, digest, now) };
        },
        { bounded: true, txOnly: steady },
      );
      const acks = await ingest.acks(answer.device.id, envelope.acksAfter || undefined);
      return {
        status: answer.answer.status,
        body: { ...answer.answer.body, acks: acks.acks, acksCursor: acks.cursor, policy: state.satellite.policy },
      };
    },

    /** POST /api/devices/:id/reset-key: the next report's key is pinned anew. */
    async resetKey(deviceId: string, actor: string): Promise<DeviceRecord> {
      const now = ctx.clock();
      return ctx.writer.run(async (tx) => {
        const d = await tx.get<DeviceRecord>(keys.device(deviceId));
        if (!d) throw new OutpostError('NOT_FOUND', `No device ${JSON.stringify(deviceId)}.`);
        if (d.via !== 'policy') throw invalid('Only a policy-mode device has a pinned key.');
        const updated: DeviceRecord = { ...d, keyThumbprint: null };
        await stageDevice(tx, state, d, updated);
        recordEvent(tx, ctx, now, { actor, type: 'device.key_reset', vaId: d.vaId, details: { deviceId: d.id, udi: d.udi, previousThumbprint: d.keyThumbprint ?? null } });
        return updated;
      });
    },
  };
}

export type PolicyMode = ReturnType<typeof createPolicyMode>;

/** Creates the policy-mode VA path when it is missing (each missing segment, with its event). */
export async function ensurePolicyVa(ctx: DomainContext): Promise<void> {
  const path = ctx.config.device.policyMode.virtualAccount;
  if (ctx.state.vaByPath(path)) return;
  const now = ctx.clock();
  await ctx.writer.run((tx) => {
    let parentId: string | null = null;
    let walked = '';
    const created: VirtualAccount[] = [];
    for (const name of path.split('/')) {
      walked = walked ? `${walked}/${name}` : name;
      const found = ctx.state.vaByPath(walked) ?? created.find((v) => v.parentId === parentId && v.name === name);
      if (found) {
        parentId = found.id;
        continue;
      }
      const va: VirtualAccount = { id: newId('va'), name, parentId, tags: {}, createdAt: now.toISOString() };
      tx.put(keys.va(va.id), va);
      recordEvent(tx, ctx, now, { actor: 'system', type: 'virtual-account.created', vaId: va.id, details: { path: walked, reason: 'policy mode' } });
      created.push(va);
      parentId = va.id;
    }
    tx.after(() => created.forEach((va) => ctx.state.putVa(va)));
  });
}
