// The cloud's side of SPEC §5: registration, sync and the offline answer to a bundle file,
// plus the admin actions tests and demos use. Plain functions over the store; no HTTP here.
import { timingSafeEqual } from 'node:crypto';
import {
  BundleError,
  ed25519PublicJwk,
  expectKind,
  expectSatellite,
  openBundle,
  thumbprint,
  writeBundle,
} from '../bundle/index.ts';
import type { EntitlementRecord, Jwks, KeyResolver, Manifest, ManifestOf, VerifiedBundle } from '../bundle/index.ts';
import type { AccountConfig, CloudConfig } from './config.ts';
import { CloudError } from './errors.ts';
import type { CloudIdentity } from './identity.ts';
import { rumAcksFor } from './rum-acks.ts';
import { RECEIVED_FILES } from './store.ts';
import type { CloudStore, ReceivedFile, SatelliteState } from './store.ts';

export interface CloudDeps {
  config: CloudConfig;
  store: CloudStore;
  identity: CloudIdentity;
  clock?: () => Date;
}

export type Cloud = ReturnType<typeof createCloud>;

export function createCloud(deps: CloudDeps) {
  const { config, store, identity } = deps;
  const clock = deps.clock ?? (() => new Date());
  const maxBytes = config.maxBundleBytes;
  // One writer: every change of state runs in turn, so counters and records never interleave.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => {});
    return run;
  };

  function account(id: string): AccountConfig {
    const found = config.accounts.find((a) => a.id === id);
    if (!found) throw new CloudError('NOT_FOUND', `There is no account ${id}.`);
    return found;
  }

  function accountByToken(token: string): AccountConfig | undefined {
    const given = Buffer.from(token);
    return config.accounts.find((a) =>
      a.tokens.some((t) => {
        const known = Buffer.from(t);
        return known.length === given.length && timingSafeEqual(known, given);
      }),
    );
  }

  const linesOf = (a: AccountConfig): EntitlementRecord[] => store.lines(a.id) ?? [...a.lines];

  /** A registration request must be signed by the key it registers. */
  const selfSigned: KeyResolver = async ({ kid, payload }) => {
    const p = payload as { kind?: unknown; publicKey?: unknown } | undefined;
    if (p?.kind !== 'registration-request') {
      throw new BundleError('BUNDLE_UNEXPECTED', 'Registration takes a registration-request bundle.');
    }
    const key = ed25519PublicJwk.safeParse(p.publicKey);
    if (!key.success) throw new BundleError('BUNDLE_RECORD_INVALID', 'The registration request carries no Ed25519 public key.');
    if ((await thumbprint(key.data)) !== kid) {
      throw new BundleError('BUNDLE_SIGNATURE_INVALID', 'The registration request is not signed by the key it registers.');
    }
    return { keys: [key.data] };
  };

  const keyOf = (satelliteId: string): Jwks => {
    const sat = store.satellite(satelliteId);
    if (!sat) throw new CloudError('SATELLITE_UNKNOWN', `Satellite ${satelliteId} is not registered with this cloud.`);
    return { keys: [sat.publicKey] };
  };

  async function answerRegistration(bundle: VerifiedBundle, out: string): Promise<ManifestOf<'registration-response'>> {
    const m = expectKind(bundle.manifest, ['registration-request']);
    const acct = accountByToken(m.token);
    if (!acct) throw new CloudError('TOKEN_INVALID', 'The registration token is not valid.');
    return serially(async () => {
      const now = clock().toISOString();
      const known = store.satellite(m.satellite);
      if (known && known.account !== acct.id) {
        throw new CloudError('SATELLITE_CONFLICT', `Satellite ${m.satellite} is registered to another account.`);
      }
      // The token proves the right to the account, so a known satellite may come with a new key.
      const sat: SatelliteState = {
        ...(known ?? emptySatellite(m.satellite, acct.id)),
        name: m.name,
        publicKey: m.publicKey,
        kid: await thumbprint(m.publicKey),
        registeredAt: now,
        registrations: (known?.registrations ?? 0) + 1,
        counter: (known?.counter ?? 0) + 1,
        lastContactAt: now,
        profileSent: acct.profile,
      };
      const { manifest } = await writeBundle({
        out,
        ...identity,
        manifest: {
          kind: 'registration-response',
          satellite: sat.id,
          account: acct.id,
          sequence: sat.counter,
          inReplyTo: 0,
          createdAt: now,
          profile: acct.profile,
          policy: acct.policy,
        },
        files: [{ name: 'entitlements.ndjson', records: linesOf(acct) }],
      });
      store.putSatellite(sat);
      await store.save();
      return manifest;
    });
  }

  async function answerReport(satelliteId: string, bundle: VerifiedBundle, out: string): Promise<ManifestOf<'cloud-response'>> {
    const m = expectKind(bundle.manifest, ['satellite-report']);
    const verifiedKid = store.satellite(satelliteId)?.kid;
    return serially(async () => {
      const sat = store.satellite(satelliteId);
      if (!sat) throw new CloudError('SATELLITE_UNKNOWN', `Satellite ${satelliteId} is not registered with this cloud.`);
      if (sat.kid !== verifiedKid) {
        throw new BundleError('BUNDLE_KEY_UNKNOWN', 'The satellite registered a new key while its report was being verified.');
      }
      expectSatellite(m, sat.id, sat.account);
      const acct = account(sat.account);
      const now = clock().toISOString();
      const received = { ...sat.received };
      for (const file of RECEIVED_FILES) received[file] = (received[file] ?? 0) + (await store.ingest(sat.id, file, bundle.records(file)));
      // Every RUM report received is answered with the cloud's stand-in acknowledgement (SPEC §9).
      const rumAcks = rumAcksFor(await bundle.readAll('rum.ndjson'));
      const counter = sat.counter + 1;
      const revocations = sat.pendingRevocations;
      const profileChanged = JSON.stringify(sat.profileSent) !== JSON.stringify(acct.profile);
      const { manifest } = await writeBundle({
        out,
        ...identity,
        manifest: {
          kind: 'cloud-response',
          satellite: sat.id,
          account: acct.id,
          sequence: counter,
          inReplyTo: m.sequence,
          createdAt: now,
          policy: acct.policy,
          ...(profileChanged ? { profile: acct.profile } : {}),
        },
        files: [
          { name: 'entitlements.ndjson', records: linesOf(acct) },
          ...(revocations.length ? [{ name: 'revocations.ndjson' as const, records: revocations }] : []),
          ...(rumAcks.length ? [{ name: 'rum-acks.ndjson' as const, records: rumAcks }] : []),
        ],
      });
      store.putSatellite({
        ...sat,
        counter,
        lastContactAt: now,
        lastReport: { sequence: m.sequence, receivedAt: now, more: m.more ?? false },
        reports: sat.reports + 1,
        received,
        profileSent: acct.profile,
        pendingRevocations: [],
        revocationsSent: [...sat.revocationsSent, ...revocations.map((r) => ({ ...r, sequence: counter }))],
      });
      await store.save();
      return manifest;
    });
  }

  return {
    /** POST /v1/satellites/register: verifies a registration request at `path`, writes the response to `out`. */
    async register(path: string, out: string): Promise<ManifestOf<'registration-response'>> {
      return answerRegistration(await openBundle(path, { trustedKeys: selfSigned, maxBytes }), out);
    },

    /** POST /v1/satellites/:id/sync: verifies a report against that satellite's key, writes the response. */
    async sync(satelliteId: string, path: string, out: string): Promise<ManifestOf<'cloud-response'>> {
      const trustedKeys = keyOf(satelliteId);
      return answerReport(satelliteId, await openBundle(path, { trustedKeys, maxBytes }), out);
    },

    /** The air-gapped way: answers a registration request or a satellite report file with a response file. */
    async respond(path: string, out: string): Promise<Manifest> {
      const bundle = await openBundle(path, {
        maxBytes,
        trustedKeys: (unverified) => {
          const p = unverified.payload as { kind?: unknown; satellite?: unknown } | undefined;
          if (p?.kind === 'registration-request') return selfSigned(unverified);
          if (p?.kind !== 'satellite-report') {
            throw new BundleError('BUNDLE_UNEXPECTED', 'The cloud answers registration requests and satellite reports only.');
          }
          if (typeof p.satellite !== 'string' || !store.satellite(p.satellite)) {
            throw new BundleError('BUNDLE_KEY_UNKNOWN', `The report is from satellite ${String(p.satellite)}, which is not registered with this cloud.`);
          }
          return keyOf(p.satellite);
        },
      });
      return bundle.manifest.kind === 'registration-request'
        ? answerRegistration(bundle, out)
        : answerReport(bundle.manifest.satellite, bundle, out);
    },

    /** Replaces an account's lines; the next response carries the new snapshot. */
    setLines(accountId: string, lines: EntitlementRecord[]): Promise<void> {
      account(accountId);
      return serially(async () => {
        store.setLines(accountId, lines);
        await store.save();
      });
    },

    /** Adds a revocation to the satellite's next response (sent once). */
    revokeDevice(satelliteId: string, deviceId: string, reason: string): Promise<void> {
      return serially(async () => {
        const sat = store.satellite(satelliteId);
        if (!sat) throw new CloudError('SATELLITE_UNKNOWN', `Satellite ${satelliteId} is not registered with this cloud.`);
        const pending = sat.pendingRevocations.filter((r) => r.deviceId !== deviceId);
        store.putSatellite({ ...sat, pendingRevocations: [...pending, { deviceId, reason }] });
        await store.save();
      });
    },

    satellite: (id: string): SatelliteState | undefined => store.satellite(id),
    satellites: (): SatelliteState[] => store.satellites(),
    lines: (accountId: string): EntitlementRecord[] => linesOf(account(accountId)),
    received: (satelliteId: string, file: ReceivedFile): AsyncIterable<object> => store.received(satelliteId, file),
  };
}

function emptySatellite(id: string, account: string): SatelliteState {
  return {
    id,
    account,
    name: '',
    publicKey: {},
    kid: '',
    registeredAt: '',
    registrations: 0,
    counter: 0,
    lastContactAt: '',
    lastReport: null,
    reports: 0,
    profileSent: null,
    pendingRevocations: [],
    revocationsSent: [],
    received: Object.fromEntries(RECEIVED_FILES.map((f) => [f, 0])) as Record<ReceivedFile, number>,
  };
}
