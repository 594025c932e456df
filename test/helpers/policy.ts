// A policy-mode device: its own Ed25519 key, signing its usage reports as a compact JWS.
import { CompactSign, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { KeyObject } from 'node:crypto';
import { http } from './satellite.ts';

export interface PolicyDevice {
  privateKey: CryptoKey | KeyObject;
  jwk: JWK;
}

export async function policyDevice(): Promise<PolicyDevice> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  return { privateKey, jwk: await exportJWK(publicKey) };
}

export async function signUsage(dev: PolicyDevice, payload: unknown, header: Record<string, unknown> = {}): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', jwk: dev.jwk, ...header } as never)
    .sign(dev.privateKey);
}

export function postUsage(deviceUrl: string, jws: string, type = 'application/jose') {
  return http('POST', `${deviceUrl}/v1/usage`, { raw: jws, type });
}
