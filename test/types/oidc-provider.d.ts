// oidc-provider (a test dependency: the real OpenID provider SSO is tested against) ships no types.
declare module 'oidc-provider' {
  const Provider: new (issuer: string, configuration: object) => { callback(): (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void; on?(event: string, fn: (...args: unknown[]) => void): void };
  export default Provider;
}
