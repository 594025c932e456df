// exchange/bundle: the SPEC §5 bundle format — write, open and verify signed zip bundles.
export { BUNDLE_ERROR_CODES, BundleError, isBundleError } from './errors.ts';
export type { BundleErrorCode } from './errors.ts';
export { writeBundle } from './write.ts';
export type { BundleFileInput, ManifestInput, WriteBundleOptions } from './write.ts';
export { openBundle } from './read.ts';
export type { OpenBundleOptions, VerifiedBundle } from './read.ts';
export { BUNDLE_JWS_TYP } from './signature.ts';
export type { KeyResolver } from './signature.ts';
export { cloudBundleOrder, expectKind, expectReplyTo, expectSatellite } from './checks.ts';
export { DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES, entryNameProblem, MANIFEST_NAME, MAX_MANIFEST_BYTES } from './limits.ts';
export {
  exportPrivateJwk,
  exportPrivatePem,
  generateSigningKey,
  importPrivateKey,
  importPublicJwk,
  jwksOf,
  loadJwks,
  publicJwkOf,
  readPrivateKeyFile,
  thumbprint,
  writeJwksFile,
  writePrivateKeyFile,
} from './keys.ts';
export type { Jwks, SigningKey } from './keys.ts';
export * from './records.ts';
export { daysInMonth, INSTANT_EXPECTED, isInstant, parseInstant, toUtcInstant } from './instant.ts';
