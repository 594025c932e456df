// Directory login over LDAP, LDAPS or StartTLS (SPEC §11) with ldapts: bind as the service account
// (or anonymously), search for exactly one entry matching the escaped username, then bind as that
// entry's DN with the password. Every step has a timeout; a directory that cannot be reached, is too
// slow or presents a certificate we do not trust answers 503 DIRECTORY_UNAVAILABLE, never 401.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Client, InvalidCredentialsError, type Entry } from 'ldapts';
import { OutpostError } from '../errors.ts';
import { userFilter } from '../domain/access/ldap-filter.ts';

export interface LdapOptions {
  url: string;
  startTls: boolean;
  caFile: string | null;
  bindDn: string | null;
  bindPasswordFile: string | null;
  userBase: string;
  userFilter: string;
  groupAttribute: string;
  timeoutSeconds: number;
}

/** What the directory says about a user whose password it accepted. */
export interface DirectoryEntry {
  dn: string;
  /** The groups' DNs, as the entry's `groupAttribute` lists them. */
  groups: string[];
}

export interface Directory {
  /**
   * The entry for `username` when `password` binds as it; null when there is no single entry or
   * the password is wrong; throws 503 DIRECTORY_UNAVAILABLE when the directory cannot answer.
   */
  authenticate(username: string, password: string): Promise<DirectoryEntry | null>;
}

const unavailable = (cause: unknown) =>
  new OutpostError('DIRECTORY_UNAVAILABLE', 'The directory could not be reached; local users can still log in.', { cause });

/** Reads the bind password and CA once, at start, so a missing file stops the start, not a login. */
export function createLdapDirectory(opts: LdapOptions): Directory {
  const bindPassword = opts.bindPasswordFile === null ? null : readFileSync(opts.bindPasswordFile, 'utf8').replace(/\r?\n$/, '');
  const tlsOptions: ConnectionOptions = {
    minVersion: 'TLSv1.2',
    ...(opts.caFile === null ? {} : { ca: [readFileSync(opts.caFile, 'utf8')] }),
  };
  const ms = opts.timeoutSeconds * 1000;

  return {
    async authenticate(username: string, password: string): Promise<DirectoryEntry | null> {
      // An empty password makes a simple bind "unauthenticated" (RFC 4513 §5.1.2), which many
      // servers answer with success: refuse it before any bind.
      if (password.length === 0 || username.length === 0) return null;
      // ldapts speaks TLS from the first byte whenever tlsOptions is given: only for ldaps://.
      const ldaps = opts.url.toLowerCase().startsWith('ldaps:');
      const client = new Client({ url: opts.url, timeout: ms, connectTimeout: ms, ...(ldaps ? { tlsOptions } : {}), strictDN: true });
      try {
        let entries: Entry[];
        try {
          // The certificate is checked against the URL's host (ldapts does not pass it on StartTLS).
          if (opts.startTls) await client.startTLS({ ...tlsOptions, host: new URL(opts.url).hostname });
          if (opts.bindDn !== null) await client.bind(opts.bindDn, bindPassword ?? '');
          ({ searchEntries: entries } = await client.search(opts.userBase, {
            scope: 'sub',
            filter: userFilter(opts.userFilter, username),
            attributes: [opts.groupAttribute],
            sizeLimit: 2,
            timeLimit: opts.timeoutSeconds,
          }));
        } catch (err) {
          // Two entries or more: the search hit its size limit. Not this user, not an outage.
          // No such base as the searcher sees it (an anonymous search the directory hides it from): no one.
          const code = (err as { code?: number }).code;
          if (code === 4 || code === 32) return null;
          throw unavailable(err);
        }
        if (entries.length !== 1) return null;
        const entry = entries[0]!;
        try {
          await client.bind(entry.dn, password);
        } catch (err) {
          if (err instanceof InvalidCredentialsError) return null;
          throw unavailable(err);
        }
        const raw = entry[opts.groupAttribute];
        const groups = (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).map((g) => (Buffer.isBuffer(g) ? g.toString('utf8') : String(g)));
        return { dn: entry.dn, groups };
      } finally {
        await client.unbind().catch(() => {});
      }
    },
  };
}
