// The refusals of the license core: a stable code from the SPEC's catalogue and one human
// sentence. A refusal changes nothing; programmer mistakes stay plain TypeErrors.

export type LicenseErrorCode =
  | 'INVALID_REQUEST'
  | 'INSUFFICIENT_QUANTITY'
  | 'NOT_FOUND'
  | 'RESERVATION_EXISTS';

export class LicenseError extends Error {
  override readonly name = 'LicenseError';
  readonly code: LicenseErrorCode;

  constructor(code: LicenseErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
