// Single sign-on with OpenID Connect (SPEC §11) through openid-client: discovery, the authorization
// code flow with PKCE, `state` and `nonce` carried in a single-use cookie, and the ID token's
// signature (always, not only TLS: enableNonRepudiationChecks), issuer, audience, expiry and nonce
// checked. A user is (iss, sub); the username and groups claims only name it and give its roles.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as oidc from 'openid-client';
import { OutpostError } from '../errors.ts';

export interface OidcOptions {
  issuer: string;
  clientId: string;
  clientSecretFile: string | null;
  scopes: readonly string[];
  usernameClaim: string;
  groupsClaim: string;
  timeoutSeconds: number;
}

/** Who the provider says signed in. */
export interface SsoIdentity {
  iss: string;
  sub: string;
  /** The username claim's value, unchecked (the caller applies the username rule). */
  username: unknown;
  groups: string[];
}

/** Why a callback was refused (recorded in the event; the client sees 401 only). */
export class SsoRefused extends Error {
  constructor(readonly reason: string, opts?: { cause?: unknown }) {
    super(reason, opts);
    this.name = 'SsoRefused';
  }
}

export const SSO_COOKIE = 'outpost_sso';
/** How long a sign-in may take at the provider. */
export const SSO_ATTEMPT_MS = 10 * 60_000;

export interface Sso {
  /** Starts a sign-in: the provider URL to redirect to and the cookie value that the callback needs. */
  begin(): Promise<{ url: string; cookie: string }>;
  /** Finishes it from the callback URL and the cookie; throws SsoRefused or 503 DIRECTORY_UNAVAILABLE. */
  finish(callbackUrl: URL, cookie: string | undefined): Promise<SsoIdentity>;
}

const unavailable = (cause: unknown) =>
  new OutpostError('DIRECTORY_UNAVAILABLE', 'The single sign-on provider could not be reached; local users can still log in.', { cause });

const isLoopback = (u: URL) => u.hostname === 'localhost' || u.hostname === '[::1]' || /^127\./.test(u.hostname);

/** `redirectUri`: `<admin.publicOrigin>/api/sso/callback`. `now` is the clock the cookie's expiry uses. */
export function createSso(opts: OidcOptions, deps: { redirectUri: string; now: () => number }): Sso {
  const secret = opts.clientSecretFile === null ? undefined : readFileSync(opts.clientSecretFile, 'utf8').replace(/\r?\n$/, '');
  // The cookie is signed with a key of this process: a restart abandons sign-ins in flight, no more.
  const cookieKey = randomBytes(32);
  /** Attempts already finished (single use), until their expiry. */
  const used = new Map<string, number>();
  let config: Promise<oidc.Configuration> | null = null;

  const discover = (): Promise<oidc.Configuration> => {
    config ??= (async () => {
      const issuer = new URL(opts.issuer);
      const c = await oidc.discovery(issuer, opts.clientId, secret === undefined ? undefined : { client_secret: secret }, secret === undefined ? oidc.None() : oidc.ClientSecretBasic(secret), {
        timeout: opts.timeoutSeconds,
        ...(issuer.protocol === 'http:' && isLoopback(issuer) ? { execute: [oidc.allowInsecureRequests] } : {}),
      });
      c.timeout = opts.timeoutSeconds;
      // Check the ID token's signature against the provider's keys, whatever the transport.
      oidc.enableNonRepudiationChecks(c);
      return c;
    })();
    // A failed discovery is retried at the next sign-in.
    config.catch(() => (config = null));
    return config;
  };

  const sign = (payload: string) => createHmac('sha256', cookieKey).update(payload).digest('base64url');

  return {
    async begin() {
      let c: oidc.Configuration;
      try {
        c = await discover();
      } catch (err) {
        throw unavailable(err);
      }
      const verifier = oidc.randomPKCECodeVerifier();
      const attempt = { id: randomBytes(16).toString('base64url'), state: oidc.randomState(), nonce: oidc.randomNonce(), verifier, exp: deps.now() + SSO_ATTEMPT_MS };
      const url = oidc.buildAuthorizationUrl(c, {
        redirect_uri: deps.redirectUri,
        scope: opts.scopes.join(' '),
        response_type: 'code',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: attempt.state,
        nonce: attempt.nonce,
      });
      const payload = Buffer.from(JSON.stringify(attempt)).toString('base64url');
      return { url: url.href, cookie: `${payload}.${sign(payload)}` };
    },

    async finish(callbackUrl: URL, cookie: string | undefined): Promise<SsoIdentity> {
      if (!cookie || cookie.length > 4096) throw new SsoRefused('no sign-in in progress (missing cookie)');
      const [payload, mac] = cookie.split('.');
      const expected = Buffer.from(sign(payload ?? ''));
      if (!payload || !mac || Buffer.byteLength(mac) !== expected.length || !timingSafeEqual(Buffer.from(mac), expected)) throw new SsoRefused('the sign-in cookie is not ours');
      const attempt = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { id: string; state: string; nonce: string; verifier: string; exp: number };
      const now = deps.now();
      for (const [id, exp] of used) if (exp <= now) used.delete(id);
      if (attempt.exp <= now) throw new SsoRefused('the sign-in took too long');
      if (used.has(attempt.id)) throw new SsoRefused('the sign-in was already finished (replay)');
      used.set(attempt.id, attempt.exp);
      let c: oidc.Configuration;
      try {
        c = await discover();
      } catch (err) {
        throw unavailable(err);
      }
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        tokens = await oidc.authorizationCodeGrant(c, callbackUrl, {
          pkceCodeVerifier: attempt.verifier,
          expectedState: attempt.state,
          expectedNonce: attempt.nonce,
          idTokenExpected: true,
        });
      } catch (err) {
        const e = err as { code?: string; name?: string; message?: string; cause?: unknown };
        // The provider could not be reached or was too slow: not the user's fault.
        if (e.name === 'TimeoutError' || e.name === 'AbortError' || (e.name === 'TypeError' && /fetch failed/.test(e.message ?? ''))) throw unavailable(err);
        throw new SsoRefused(`${e.code ?? e.name ?? 'error'}: ${e.message ?? ''}`.slice(0, 300), { cause: err });
      }
      const claims = tokens.claims();
      if (!claims) throw new SsoRefused('no ID token');
      const raw = claims[opts.groupsClaim];
      const groups = Array.isArray(raw) ? raw.filter((g): g is string => typeof g === 'string') : typeof raw === 'string' ? [raw] : [];
      return { iss: claims.iss, sub: claims.sub, username: claims[opts.usernameClaim], groups };
    },
  };
}
