// The refusal catalogue of SPEC §5: stable codes a satellite, the cloud and the admin API
// answer with. Codes never change; messages name the check that failed and may improve.

export const BUNDLE_ERROR_CODES = [
  'BUNDLE_NOT_ZIP',
  'BUNDLE_TOO_LARGE',
  'BUNDLE_ENTRY_INVALID',
  'BUNDLE_KEY_UNKNOWN',
  'BUNDLE_SIGNATURE_INVALID',
  'BUNDLE_HASH_MISMATCH',
  'BUNDLE_RECORD_INVALID',
  'BUNDLE_WRONG_SATELLITE',
  'BUNDLE_UNEXPECTED',
  'STALE_BUNDLE',
] as const;

export type BundleErrorCode = (typeof BUNDLE_ERROR_CODES)[number];

/** A bundle refused, whole: nothing of it may be applied. `status` is the HTTP answer (§5). */
export class BundleError extends Error {
  override readonly name = 'BundleError';
  readonly code: BundleErrorCode;
  readonly status: 413 | 422;
  /** The message is about the client's own bundle, so it is safe to show to that client. */
  readonly expose = true;

  constructor(code: BundleErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = code === 'BUNDLE_TOO_LARGE' ? 413 : 422;
  }
}

export function isBundleError(err: unknown): err is BundleError {
  return err instanceof BundleError;
}
