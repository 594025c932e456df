// Device registration with a token, deregistration and the device's own status.
import { z } from 'zod';
import { OutpostError } from '../../errors.ts';
import { keys } from '../../store/index.ts';
import type { Actor, DomainContext } from '../satellite/context.ts';
import { issueCredential } from './credentials.ts';
import { assertServing } from './device-state.ts';
import { journalDeviceChange } from './device-journal.ts';
import { stageDevice } from './device-index.ts';
import { recordEvent } from '../satellite/events.ts';
import { newId, sha256 } from '../satellite/ids.ts';
import { tokenRefusal } from './tokens.ts';
import type { DeviceRecord, TokenRecord } from '../satellite/records.ts';
import { parseBody, text } from '../satellite/validate.ts';

export const udiSchema = z.object({
  pid: text(1, 64),
  sn: text(1, 64),
});

export const registerBody = z.object({
  token: z.string(),
  udi: udiSchema,
  hostname: text(1, 255).nullable().optional(),
  force: z.boolean().optional(),
});

export interface RegisterAnswer {
  status: 200 | 201;
  body: {
    deviceId: string;
    credential: string;
    virtualAccount: { id: string; path: string };
    policy: { reportIntervalHours: number };
  };
}

export function createDevices(ctx: DomainContext) {
  const { state } = ctx;

  return {
    /** POST /v1/register: the token is checked first (401), then the body's shape (400), then the rest. */
    async register(body: unknown): Promise<RegisterAnswer> {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new OutpostError('INVALID_REQUEST', 'The body must be a JSON object.');
      }
      const secret = (body as { token?: unknown }).token;
      if (typeof secret !== 'string' || secret.length === 0 || secret.length > 512) {
        throw new OutpostError('INVALID_REQUEST', 'Field "token" is required.');
      }
      const hash = sha256(secret);
      if (!(await ctx.store.get<string>(keys.tokenHash(hash)))) {
        throw new OutpostError('TOKEN_INVALID', 'The registration token is not known.');
      }
      const input = parseBody(registerBody, body);
      const credentialId = newId('crd');
      const now = ctx.clock();

      const result = await ctx.writer.run(async (tx) => {
        const tokenId = await tx.get<string>(keys.tokenHash(hash));
        const token = tokenId ? await tx.get<TokenRecord>(keys.token(tokenId)) : undefined;
        if (!token) throw new OutpostError('TOKEN_INVALID', 'The registration token is not known.');
        const refusal = tokenRefusal(token, now);
        if (refusal) throw refusal;
        if (state.account.type === 'partner-holding') {
          throw new OutpostError('ACCOUNT_CANNOT_CONSUME', 'A partner-holding account cannot consume licenses.');
        }
        assertServing(ctx);
        if (!state.vas.has(token.vaId)) throw new OutpostError('TOKEN_INVALID', 'The registration token is not known.');

        const existingId = await tx.get<string>(keys.udi(input.udi.pid, input.udi.sn));
        const existing = existingId ? await tx.get<DeviceRecord>(keys.device(existingId)) : undefined;
        // A UDI the collector took belongs to it (SPEC §9), whatever its state and even with force.
        if (existing?.via === 'collector') {
          throw new OutpostError('DEVICE_REGISTERED', 'This UDI is collected from its product by the satellite; it cannot register with a token.');
        }
        if (existing?.revoked) {
          throw new OutpostError('DEVICE_REVOKED', 'The license cloud revoked this device; a user must reinstate it.');
        }
        if (existing?.state === 'registered' && !input.force) {
          throw new OutpostError('DEVICE_REGISTERED', 'A device with this UDI is registered; send "force": true to register it again.');
        }
        const forced = existing?.state === 'registered';
        const device: DeviceRecord = {
          id: existing?.id ?? newId('dev'),
          udi: { pid: input.udi.pid, sn: input.udi.sn },
          hostname: input.hostname ?? null,
          vaId: token.vaId,
          state: 'registered',
          via: 'token',
          registeredAt: forced ? existing!.registeredAt : now.toISOString(),
          credentialId,
          revoked: false,
          ...(existing?.keyThumbprint ? { keyThumbprint: existing.keyThumbprint } : {}),
        };
        const updatedToken: TokenRecord = { ...token, uses: token.uses + 1 };
        tx.put(keys.token(token.id), updatedToken);
        await stageDevice(tx, state, existing, device);
        journalDeviceChange(tx, ctx.seq, state, device, now);
        recordEvent(tx, ctx, now, {
          actor: `device:${device.id}`,
          type: forced ? 'device.reregistered' : 'device.registered',
          vaId: device.vaId,
          details: {
            udi: device.udi,
            tokenId: token.id,
            ...(forced && existing!.vaId !== device.vaId ? { fromVirtualAccount: state.vaPath(existing!.vaId) } : {}),
          },
        });
        tx.after(() => state.putToken(updatedToken));
        return { device, forced };
      });

      const credential = await issueCredential(ctx.identity, result.device.id, credentialId, now);
      return {
        status: result.forced ? 200 : 201,
        body: {
          deviceId: result.device.id,
          credential,
          virtualAccount: state.vaRef(result.device.vaId),
          policy: state.satellite.policy,
        },
      };
    },

    /** The device leaves: its usage stops counting and its credential stops working. */
    async deregister(deviceId: string, actor: Actor, reason?: string): Promise<DeviceRecord> {
      const now = ctx.clock();
      return ctx.writer.run(async (tx) => {
        const d = await tx.get<DeviceRecord>(keys.device(deviceId));
        if (!d) throw new OutpostError('NOT_FOUND', `No device ${JSON.stringify(deviceId)}.`);
        if (d.state === 'deregistered') return d;
        const updated: DeviceRecord = { ...d, state: 'deregistered' };
        await stageDevice(tx, state, d, updated);
        journalDeviceChange(tx, ctx.seq, state, updated, now);
        recordEvent(tx, ctx, now, {
          actor,
          type: 'device.deregistered',
          vaId: d.vaId,
          details: { deviceId: d.id, udi: d.udi, ...(reason ? { reason } : {}) },
        });
        return updated;
      });
    },

    /** GET /v1/status for the device itself. */
    status(device: DeviceRecord, poolStatus: (vaId: string, entitlement: string) => 'ok' | 'insufficient') {
      const latest = state.latestOf(device.id);
      const usage = device.state === 'registered' ? latest?.usage ?? {} : {};
      return {
        deviceId: device.id,
        state: device.state,
        virtualAccount: state.vaRef(device.vaId),
        lastReportAt: latest?.lastReportAt ?? null,
        entitlements: Object.entries(usage)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([entitlement, count]) => ({ entitlement, count, poolStatus: poolStatus(device.vaId, entitlement) })),
      };
    },
  };
}

export type Devices = ReturnType<typeof createDevices>;
