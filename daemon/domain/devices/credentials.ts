// Device credentials: a JWT signed by the satellite's key, valid while it is the device's latest.
// A verified credential is remembered by its hash (the last 50,000 used), so a device's next
// request costs a map lookup, not an Ed25519 verification; replacing the credential id on the
// device invalidates it. The device is read through the state's bounded cache.
import { SignJWT, jwtVerify } from 'jose';
import { OutpostError } from '../../errors.ts';
import { sha256 } from '../satellite/ids.ts';
import type { Identity } from '../satellite/identity.ts';
import type { DeviceRecord } from '../satellite/records.ts';
import { BoundedCache } from '../satellite/bounded-cache.ts';

export const CREDENTIAL_TYP = 'outpost-device+jwt';

export async function issueCredential(identity: Identity, deviceId: string, credentialId: string, now: Date): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA', typ: CREDENTIAL_TYP, kid: identity.kid })
    .setSubject(deviceId)
    .setJti(credentialId)
    .setIssuer(identity.id)
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .sign(identity.privateKey);
}

const invalid = () => new OutpostError('CREDENTIAL_INVALID', 'The device credential is missing or not valid.');

export class CredentialVerifier {
  readonly #identity: Identity;
  readonly #device: (id: string) => DeviceRecord | undefined;
  readonly #cache: BoundedCache<string, { deviceId: string; credentialId: string }>;

  /** `device` reads one device (the state's `device(id)`, a bounded cache in front of the store). */
  constructor(identity: Identity, device: (id: string) => DeviceRecord | undefined, max = 50_000) {
    this.#identity = identity;
    this.#device = device;
    this.#cache = new BoundedCache(max);
  }

  /** The device whose latest credential this Authorization header carries; 401 otherwise. */
  async authenticate(header: string | undefined): Promise<DeviceRecord> {
    if (!header || !header.startsWith('Bearer ') || header.length > 4096) throw invalid();
    const token = header.slice(7).trim();
    const hash = sha256(token);
    let entry = this.#cache.get(hash);
    if (!entry) {
      try {
        const { payload } = await jwtVerify(token, this.#identity.publicKey, {
          algorithms: ['EdDSA'],
          typ: CREDENTIAL_TYP,
          issuer: this.#identity.id,
        });
        if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string') throw invalid();
        entry = { deviceId: payload.sub, credentialId: payload.jti };
      } catch {
        throw invalid();
      }
      this.#cache.set(hash, entry);
    }
    const device = this.#device(entry.deviceId);
    if (!device || device.credentialId !== entry.credentialId) throw invalid();
    return device;
  }
}
