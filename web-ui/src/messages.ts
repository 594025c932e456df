// Refusals in plain words, by their stable code (never by matching message text). The server's
// own sentence is shown under it as the detail.
import { ApiError } from './api.ts';
import { plural } from './format.ts';

const PLAIN: Record<string, string> = {
  // the exchange (SPEC §5)
  BUNDLE_NOT_ZIP: 'This file is not a bundle: it is not a zip file. Choose the .zip file the license cloud gave you.',
  BUNDLE_TOO_LARGE: 'This bundle is larger than the satellite accepts (the exchange.maxBundleBytes setting).',
  BUNDLE_ENTRY_INVALID:
    'The bundle’s contents are not what a bundle holds: a file is missing, extra, duplicated or oddly named. It may have been altered or built by another tool.',
  BUNDLE_KEY_UNKNOWN:
    'The bundle is signed by a key this satellite does not trust. Check that it comes from your license cloud, and that exchange.cloudKeys lists the cloud’s current keys.',
  BUNDLE_SIGNATURE_INVALID: 'The bundle’s signature does not verify: it was changed or damaged after it was signed.',
  BUNDLE_HASH_MISMATCH: 'A file inside the bundle does not match its signed checksum: the bundle was changed or damaged on the way.',
  BUNDLE_RECORD_INVALID: 'A record inside the bundle is not in the expected format.',
  BUNDLE_WRONG_SATELLITE: 'This bundle was made for another satellite.',
  BUNDLE_UNEXPECTED: 'This satellite did not ask for this bundle.',
  STALE_BUNDLE: 'A newer answer from the cloud has already been applied, so this older one is refused. Import the newest bundle instead.',
  EXCHANGE_BUSY: 'Another export, import, registration or sync is running. Try again when it has finished.',
  // the admin API (SPEC §4)
  INVALID_REQUEST: 'Some of what was entered is not valid.',
  UNAUTHENTICATED: 'Your session has ended. Log in again.',
  FORBIDDEN: 'Your role does not allow this.',
  ORIGIN_MISMATCH: 'The request did not come from this dashboard’s address, so it was refused.',
  PASSWORD_CHANGE_REQUIRED: 'Choose a new password before doing anything else.',
  NOT_FOUND: 'It no longer exists, or it is outside the virtual accounts you can see.',
  NAME_TAKEN: 'That name is already taken.',
  LIMIT_REACHED: 'A limit was reached (at most 10 levels of virtual accounts; a limited-use account has at most 3 users, 3 virtual accounts and no tags).',
  VA_NOT_EMPTY: 'The virtual account is not empty: move or remove its devices, licenses, tokens and nested accounts first.',
  VA_PROTECTED: 'The Default virtual account cannot be deleted.',
  INSUFFICIENT_QUANTITY: 'There are not enough licenses available for that.',
  RESERVATION_EXISTS: 'That device already holds a reservation. Enter its return code first.',
  LOGIN_THROTTLED: 'Too many failed logins. Wait and try again.',
  TOKEN_INVALID: 'The token is not known.',
  TOKEN_EXPIRED: 'The token has expired.',
  TOKEN_REVOKED: 'The token was revoked.',
  TOKEN_EXHAUSTED: 'The token has no uses left.',
  SATELLITE_DEREGISTERED: 'The satellite’s registration has lapsed. Register it again.',
  UNAVAILABLE: 'The satellite is starting or stopping. Try again in a moment.',
  INTERNAL: 'The satellite could not complete the request. Its log has the details.',
  NETWORK: 'The satellite could not be reached.',
};

/** A mistake the dashboard catches before asking the API, said as is. */
export class InputError extends Error {
  override name = 'InputError';
}

export interface Explained {
  plain: string;
  detail: string;
  code: string;
}

/** How the forms label the API's fields, for a refusal that names one (a form's own label wins). */
const FIELD_WORDS: Record<string, string> = {
  validDays: 'Valid for (days)',
  maxUses: 'Maximum uses',
  virtualAccountId: 'Virtual account',
  virtualAccount: 'Virtual account',
  description: 'Description',
  username: 'Username',
  password: 'Initial password',
  newPassword: 'New password',
  currentPassword: 'Current password',
  name: 'Name',
  domain: 'Domain',
  parentId: 'Parent virtual account',
  quantity: 'Quantity',
  entitlement: 'Entitlement',
  from: 'From virtual account',
  to: 'To virtual account',
  token: 'Satellite registration token',
  requestCode: 'Request code',
  returnCode: 'Return code',
  licenses: 'Licenses',
  count: 'Count',
  tags: 'Tags',
  roles: 'Roles',
  role: 'Role',
  type: 'Type',
  key: 'Key',
};

/**
 * A field path of the API (`validDays`, `roles.0.virtualAccountId`) as the form labels it:
 * `label` answers for the form's own controls; otherwise the words above, with the row's number
 * for a field of a list ("Scope (role 1)").
 */
export function fieldWords(path: string, label?: (name: string) => string | undefined): string {
  const own = label?.(path);
  if (own) return own;
  const parts = path.split('.');
  const last = parts[parts.length - 1]!;
  const index = parts.findIndex((p) => /^\d+$/.test(p));
  if (index > 0) {
    const list = parts[index - 1]!;
    const n = Number(parts[index]) + 1;
    const item = list === 'roles' ? 'role' : list === 'licenses' ? 'license' : 'row';
    const what = list === 'roles' && last === 'virtualAccountId' ? 'Scope' : index === parts.length - 1 ? FIELD_WORDS[list] ?? list : FIELD_WORDS[last] ?? last;
    return `${what} (${item} ${n})`;
  }
  return label?.(last) ?? FIELD_WORDS[last] ?? last;
}

/** Zod's phrasing as a person would say it. */
function plainRule(rule: string): string {
  const r = rule.replace(/\.$/, '');
  let m: RegExpExecArray | null;
  if ((m = /^Too big: expected number to be <=?\s*(-?[\d.]+)/.exec(r))) return `must be at most ${m[1]}`;
  if ((m = /^Too small: expected number to be >=?\s*(-?[\d.]+)/.exec(r))) return `must be at least ${m[1]}`;
  if ((m = /^Too big: expected string to have <=?\s*(\d+) characters?/.exec(r))) return `must be at most ${m[1]} characters long`;
  if ((m = /^Too small: expected string to have >=?\s*(\d+) characters?/.exec(r))) return m[1] === '1' ? 'must not be empty' : `must be at least ${m[1]} characters long`;
  if ((m = /^Invalid input: expected (int|number)/.exec(r))) return 'must be a whole number';
  if (/^Invalid input: expected string/.test(r)) return 'must be text';
  if (/^Invalid (option|input)/.test(r)) return 'is not one of the choices';
  if (/^expected /.test(r)) return `must be ${r.slice('expected '.length)}`;
  return r;
}

/** INVALID_REQUEST naming a field, said with the field's label; null when it names none. */
function plainInvalid(message: string, label?: (name: string) => string | undefined): string | null {
  let m = /^Field "([^"]+)" is required\.?$/.exec(message);
  if (m) return `“${fieldWords(m[1]!, label)}” is required.`;
  m = /^Field "([^"]+)": (.*)$/.exec(message);
  if (m) return `“${fieldWords(m[1]!, label)}” ${plainRule(m[2]!)}.`;
  m = /^Unknown field "([^"]+)"\.?$/.exec(message);
  if (m) return `The satellite does not take “${fieldWords(m[1]!, label)}” here.`;
  m = /^Parameter "([^"]+)" (.*)$/.exec(message);
  if (m) return `“${fieldWords(m[1]!, label)}” ${plainRule(m[2]!)}`;
  return null;
}

export function explain(err: unknown, label?: (name: string) => string | undefined): Explained {
  if (err instanceof ApiError && err.code === 'INVALID_REQUEST') {
    const said = plainInvalid(err.message, label);
    if (said) return { plain: `${PLAIN.INVALID_REQUEST} ${said}`, detail: '', code: err.code };
  }
  if (err instanceof ApiError) {
    let plain = PLAIN[err.code] ?? err.message;
    if (err.code === 'LOGIN_THROTTLED' && err.retryAfter) plain = `Too many failed logins. Try again in ${plural(Math.ceil(err.retryAfter / 60), 'minute')}.`;
    return { plain, detail: plain === err.message ? '' : err.message, code: err.code };
  }
  if (err instanceof InputError) return { plain: err.message, detail: '', code: 'INVALID_INPUT' };
  if (err instanceof TypeError) return { plain: PLAIN.NETWORK!, detail: err.message, code: 'NETWORK' };
  return { plain: 'Something went wrong.', detail: err instanceof Error ? err.message : String(err), code: 'ERROR' };
}
