// A real OpenID provider for tests: oidc-provider in-process on 127.0.0.1, with one confidential
// client (PKCE required), a `groups` claim in the ID token, and its development login form (any
// login name is an account; ACCOUNTS gives their claims). It sits behind a small loopback front
// that passes everything through, so a test can rewrite the ID token the token endpoint answers
// (another key, alg none, a wrong nonce, audience, issuer or expiry): the only synthetic part.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, decodeJwt, decodeProtectedHeader, type JWK, type JWTPayload } from 'jose';
import type { Test } from 'tap';
import { request } from 'undici';

export const OIDC_CLIENT_ID = 'outpost';
export const OIDC_CLIENT_SECRET = 'oidc-client-secret-for-tests-0123456789';

/** Account id (the login typed in the provider's form) → claims. */
export const ACCOUNTS: Record<string, { preferred_username: string; groups: string[] }> = {
  'sub-ann': { preferred_username: 'ann', groups: ['outpost-admins'] },
  'sub-ben': { preferred_username: 'ben', groups: ['outpost-lab'] },
  'sub-none': { preferred_username: 'nobody', groups: ['unmapped'] },
  // Claims "admin", the name of a local user: refused NAME_TAKEN.
  'sub-imposter': { preferred_username: 'admin', groups: ['outpost-admins'] },
  'sub-bad-name': { preferred_username: 'no spaces allowed', groups: ['outpost-admins'] },
};

export interface Tamper {
  (idToken: { header: Record<string, unknown>; payload: JWTPayload }, keys: { real: CryptoKey | import('node:crypto').KeyObject; other: CryptoKey | import('node:crypto').KeyObject }): Promise<string>;
}

export interface TestProvider {
  issuer: string;
  /** Set to rewrite the next ID tokens the token endpoint answers; null passes them through. */
  tamper: Tamper | null;
  /** Token endpoint answers seen (status), for replay checks. */
  tokenAnswers: number[];
  /** Signs `payload` with the provider's real key (RS256, its kid). */
  sign(payload: JWTPayload, header?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** Starts the provider; `redirectUri` is the satellite's `<publicOrigin>/api/sso/callback`. */
export async function startProvider(
  t: Test,
  redirectUri: string | (() => string),
  /** More accounts beside ACCOUNTS (the access matrix's SSO callers). */
  extraAccounts: Record<string, { preferred_username: string; groups: string[] }> = {},
): Promise<TestProvider> {
  const { default: Provider } = await import('oidc-provider');
  const real = await generateKeyPair('RS256', { extractable: true });
  const other = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(real.privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };

  const front = http.createServer();
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;

  const redirect = typeof redirectUri === 'function' ? redirectUri() : redirectUri;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: OIDC_CLIENT_ID,
        client_secret: OIDC_CLIENT_SECRET,
        redirect_uris: [redirect],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [jwk] },
    pkce: { required: () => true },
    claims: { openid: ['sub'], profile: ['preferred_username', 'groups'], email: ['email'] },
    conformIdTokenClaims: false,
    findAccount: async (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: async () => ({ sub, ...(ACCOUNTS[sub] ?? extraAccounts[sub] ?? { preferred_username: sub, groups: [] }) }),
    }),
    // Consent is not what these tests are about: every login grants what the client asks.
    loadExistingGrant: async (ctx: any) => {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid profile email');
      grant.addOIDCClaims(['preferred_username', 'groups']);
      await grant.save();
      return grant;
    },
    features: { devInteractions: { enabled: true } },
    ttl: { AuthorizationCode: 60, IdToken: 300, AccessToken: 300, Interaction: 600, Session: 3600, Grant: 3600 },
  } as any);
  // No dev-mode warnings in test output.
  (provider as any).on?.('server_error', () => {});
  const inner = http.createServer(provider.callback());
  await new Promise<void>((r) => inner.listen(0, '127.0.0.1', r));
  const innerPort = (inner.address() as AddressInfo).port;

  const state: TestProvider = {
    issuer,
    tamper: null,
    tokenAnswers: [],
    sign: (payload, header = {}) => new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: 'test-key', ...header }).sign(real.privateKey),
    async close() {
      await new Promise<void>((r) => front.close(() => r()));
      await new Promise<void>((r) => inner.close(() => r()));
    },
  };

  front.on('request', async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const answer = await request(`http://127.0.0.1:${innerPort}${req.url}`, {
        method: req.method as 'GET',
        headers: req.headers as Record<string, string>,
        body: chunks.length ? Buffer.concat(chunks) : null,
      });
      let body = Buffer.from(await answer.body.arrayBuffer());
      const isToken = req.method === 'POST' && req.url?.split('?')[0] === '/token';
      if (isToken) state.tokenAnswers.push(answer.statusCode);
      if (isToken && answer.statusCode === 200 && state.tamper) {
        const json = JSON.parse(body.toString('utf8')) as { id_token: string };
        json.id_token = await state.tamper({ header: decodeProtectedHeader(json.id_token) as Record<string, unknown>, payload: decodeJwt(json.id_token) }, { real: real.privateKey, other: other.privateKey });
        body = Buffer.from(JSON.stringify(json));
      }
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection' && k !== 'keep-alive') headers[k] = v;
      res.writeHead(answer.statusCode, { ...headers, 'content-length': String(body.length) });
      res.end(body);
    } catch (err) {
      res.writeHead(502).end(String(err));
    }
  });
  t.teardown(() => state.close());
  return state;
}

/** Re-signs an ID token after `edit`, with the real key unless told otherwise. */
export function resign(edit: (p: JWTPayload) => JWTPayload, opts: { key?: 'real' | 'other'; alg?: string } = {}): Tamper {
  return async ({ header, payload }, keys) => {
    const p = edit({ ...payload });
    if (opts.alg === 'none') {
      const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(p)}.`;
    }
    return new SignJWT(p).setProtectedHeader({ alg: 'RS256', kid: header.kid as string }).sign(opts.key === 'other' ? keys.other : keys.real);
  };
}

/** A browser-less user agent: follows the provider's redirects with a cookie jar, logs in as `login`, and answers the URL the provider sends back to the satellite. */
export async function loginAtProvider(authorizationUrl: string, login: string, stopAt: string): Promise<URL> {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const keep = (setCookie: string | string[] | undefined) => {
    for (const c of setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      jar.set(pair!.slice(0, i).trim(), pair!.slice(i + 1));
    }
  };
  let url = new URL(authorizationUrl);
  let method: 'GET' | 'POST' = 'GET';
  let body: string | null = null;
  for (let hops = 0; hops < 20; hops++) {
    if (url.href.startsWith(stopAt)) return url;
    const res = await request(url, {
      method,
      headers: { cookie: cookieHeader(), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body,
    });
    keep(res.headers['set-cookie']);
    const text = await res.body.text();
    method = 'GET';
    body = null;
    if (res.statusCode >= 300 && res.statusCode < 400) {
      url = new URL(String(res.headers.location), url);
      continue;
    }
    const form = /<form[^>]*action="([^"]+)"[^>]*method="post"/i.exec(text);
    if (res.statusCode === 200 && form && /name="login"/.test(text)) {
      url = new URL(form[1]!.replace(/&amp;/g, '&'), url);
      method = 'POST';
      body = new URLSearchParams({ prompt: 'login', login, password: 'any-password' }).toString();
      continue;
    }
    throw new Error(`the provider answered ${res.statusCode} at ${url.href}: ${text.slice(0, 300)}`);
  }
  throw new Error('too many redirects at the provider');
}
