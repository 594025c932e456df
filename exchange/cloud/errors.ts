// The reference cloud's own refusals, beside the bundle codes of exchange/bundle, and the one
// place that turns any error into the §3 error body.
import { BundleError } from '../bundle/index.ts';

const STATUS = {
  TOKEN_INVALID: 401,
  SATELLITE_UNKNOWN: 404,
  SATELLITE_CONFLICT: 409,
  NOT_FOUND: 404,
  UNAUTHORIZED: 401,
  INVALID_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
} as const;

export type CloudErrorCode = keyof typeof STATUS;
export const CLOUD_ERROR_CODES = Object.keys(STATUS) as CloudErrorCode[];

export class CloudError extends Error {
  override readonly name = 'CloudError';
  readonly code: CloudErrorCode;
  readonly status: (typeof STATUS)[CloudErrorCode];
  readonly expose = true;

  constructor(code: CloudErrorCode, message: string) {
    super(message);
    this.code = code;
    this.status = STATUS[code];
  }
}

/** Status and body for an error; anything not ours is a 500 whose message stays inside. */
export function errorResponse(err: unknown): { status: number; body: { error: { code: string; message: string } } } {
  if (err instanceof BundleError || err instanceof CloudError) {
    return { status: err.status, body: { error: { code: err.code, message: err.message } } };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'The cloud failed to handle the request.' } } };
}
