// The admin listener's Host allow-list (SPEC §4): a DNS-rebinding page reaches the listener
// under its own host name, so its requests carry that name in `Host`. Only the listener's own
// addresses, localhost, the host of admin.publicOrigin and admin.allowedHosts are served; any
// other Host is answered 421 HOST_NOT_ALLOWED before any handler (and so before any throttle).
import { networkInterfaces } from 'node:os';
import type { Context, Next } from 'koa';
import { errorBody } from '../errors.ts';

/** The host part of a Host header or URL authority, lower-case, without port, brackets or a final dot. */
export function hostOf(value: string): string {
  let h = value.trim().toLowerCase();
  // Anything after the host must be a port: `localhost:80@evil` is not localhost.
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(h);
  if (bracketed) h = bracketed[1]!;
  else if (h.startsWith('[')) return h;
  else {
    const colon = h.lastIndexOf(':');
    // One colon is host:port; more is a bare IPv6 address (only in config, not in a Host header).
    if (colon !== -1 && h.indexOf(':') === colon) {
      if (!/^\d{1,5}$/.test(h.slice(colon + 1))) return h;
      h = h.slice(0, colon);
    }
  }
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/**
 * The hosts the admin listener answers to. `listenerUrl` is the bound listener's URL; a
 * wildcard address (0.0.0.0, ::) stands for every address of this host's interfaces.
 */
export function allowedHosts(opts: { listenerUrl: string; publicOrigin: string | null; extra: readonly string[] }): Set<string> {
  const hosts = new Set(['localhost', '127.0.0.1', '::1']);
  const bound = hostOf(new URL(opts.listenerUrl).host);
  if (WILDCARDS.has(bound)) {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) hosts.add(hostOf(a.family === 'IPv6' ? `[${a.address}]` : a.address));
  } else hosts.add(bound);
  if (opts.publicOrigin) hosts.add(hostOf(new URL(opts.publicOrigin).host));
  for (const h of opts.extra) hosts.add(hostOf(h.includes(':') && !h.startsWith('[') && h.split(':').length > 2 ? `[${h}]` : h));
  return hosts;
}

/** Koa middleware answering 421 to a Host outside `hosts`; put it first. */
export function hostCheck(hosts: ReadonlySet<string>, onRefusal?: () => void) {
  return async (ctx: Context, next: Next) => {
    const host = ctx.get('Host');
    if (!host || !hosts.has(hostOf(host))) {
      onRefusal?.();
      ctx.status = 421;
      ctx.set('Connection', 'close');
      ctx.body = errorBody('HOST_NOT_ALLOWED', 'This listener does not serve that host name.');
      return;
    }
    await next();
  };
}
