// The one error catalogue: every refusal the daemon answers has a stable code and status here.
// Codes never change; messages may. Programmer mistakes stay plain TypeErrors.

export const ERROR_STATUS = {
  INVALID_REQUEST: 400,
  REPORT_TOO_OLD: 400,
  TOKEN_INVALID: 401,
  CREDENTIAL_INVALID: 401,
  UNAUTHENTICATED: 401,
  KEY_MISMATCH: 401,
  SIGNATURE_INVALID: 401,
  FORBIDDEN: 403,
  ORIGIN_MISMATCH: 403,
  PASSWORD_CHANGE_REQUIRED: 403,
  ACCOUNT_CANNOT_CONSUME: 403,
  DEVICE_DEREGISTERED: 403,
  DEVICE_REVOKED: 403,
  POLICY_REFUSED: 403,
  NO_ROLE: 403,
  VA_PROTECTED: 409,
  NOT_FOUND: 404,
  DEVICE_REGISTERED: 409,
  TOKEN_EXHAUSTED: 409,
  TOKEN_REVOKED: 409,
  REPORT_CONFLICT: 409,
  NAME_TAKEN: 409,
  LIMIT_REACHED: 409,
  VA_NOT_EMPTY: 409,
  TAG_IN_USE: 409,
  LAST_ADMIN: 409,
  ACCOUNT_REGISTERED: 409,
  INSUFFICIENT_QUANTITY: 409,
  RESERVATION_EXISTS: 409,
  EXCHANGE_BUSY: 409,
  NOT_REGISTERED: 409,
  EXCHANGE_NOT_CONFIGURED: 409,
  NOTIFY_NOT_CONFIGURED: 409,
  TOKEN_EXPIRED: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HOST_NOT_ALLOWED: 421,
  LOGIN_THROTTLED: 429,
  BUSY: 429,
  // SPEC §5 bundle refusals (exchange/bundle/errors.ts), answered by the admin API's import.
  BUNDLE_NOT_ZIP: 422,
  BUNDLE_ENTRY_INVALID: 422,
  BUNDLE_KEY_UNKNOWN: 422,
  BUNDLE_SIGNATURE_INVALID: 422,
  BUNDLE_HASH_MISMATCH: 422,
  BUNDLE_RECORD_INVALID: 422,
  BUNDLE_WRONG_SATELLITE: 422,
  BUNDLE_UNEXPECTED: 422,
  STALE_BUNDLE: 422,
  BUNDLE_TOO_LARGE: 413,
  INTERNAL: 500,
  // The cloud could not be reached, answered with an error, or was too slow (network sync).
  CLOUD_UNREACHABLE: 502,
  CLOUD_ERROR: 502,
  CLOUD_TIMEOUT: 504,
  SATELLITE_DEREGISTERED: 503,
  UNAVAILABLE: 503,
  // The configured LDAP directory (auth.ldap) or OpenID provider (auth.oidc) could not be reached.
  DIRECTORY_UNAVAILABLE: 503,
  // The store cannot write (a full disk): writing requests wait for it to come back (SPEC §3).
  STORAGE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** 5xx refusals whose message is about the situation, not the satellite's insides. */
const EXPOSED_5XX: ReadonlySet<ErrorCode> = new Set(['SATELLITE_DEREGISTERED', 'UNAVAILABLE', 'STORAGE_UNAVAILABLE', 'DIRECTORY_UNAVAILABLE', 'CLOUD_UNREACHABLE', 'CLOUD_ERROR', 'CLOUD_TIMEOUT']);

/** A refusal with a stable code; `expose` says whether its message may reach a client. */
export class OutpostError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly expose: boolean;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message: string, opts: { headers?: Record<string, string>; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'OutpostError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.expose = this.status < 500 || EXPOSED_5XX.has(code);
    this.headers = opts.headers ?? {};
  }
}

export function isOutpostError(err: unknown): err is OutpostError {
  return err instanceof OutpostError;
}

/** The JSON error body every API answers with. */
export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
