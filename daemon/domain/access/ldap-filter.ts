// RFC 4515: a value put into an LDAP search filter has `*`, `(`, `)`, `\` and NUL escaped as `\hh`,
// so a username such as `*` or `admin)(uid=*` matches itself and nothing else.

/** Escapes a value for an LDAP filter (RFC 4515 §3), also every non-printable ASCII byte. */
export function escapeFilterValue(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (byte < 0x20 || byte === 0x7f || c === '*' || c === '(' || c === ')' || c === '\\') out += '\\' + byte.toString(16).padStart(2, '0');
    else if (byte >= 0x80) out += '\\' + byte.toString(16);
    else out += c;
  }
  return out;
}

/** The configured `userFilter` with every `{username}` replaced by the escaped username. */
export function userFilter(template: string, username: string): string {
  return template.split('{username}').join(escapeFilterValue(username));
}
