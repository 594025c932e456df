// NO_PROXY matching, as curl reads it: whether a URL's host is exempt from a proxy that came from
// the environment. The transport talks to one origin, so it decides once, not per request.
import { BlockList, isIP } from 'node:net';

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

interface Entry {
  /** Lower case, no brackets, no leading `.`/`*.` nor trailing dot. */
  host: string;
  /** 0: any port. */
  port: number;
}

/**
 * Whether `noProxy` (a NO_PROXY value) exempts `url` from the proxy. The value is a list
 * separated by commas or white space; an entry is
 * - `*`: every host;
 * - a host name, which matches itself and every name under it (`example.com` and `.example.com`
 *   and `*.example.com` all match `example.com` and `cloud.example.com`, not `badexample.com`);
 * - an IP address (`10.1.2.3`, `::1` or `[::1]`), matching only that address, or a CIDR block
 *   (`10.0.0.0/8`, `fd00::/8`);
 * - any of these but `*` and CIDR with `:port`, matching only that port (`[::1]:8443`).
 * Names compare without regard to case and to a trailing dot; no DNS lookup is made.
 */
export function bypassesProxy(noProxy: string | null | undefined, url: URL): boolean {
  if (!noProxy) return false;
  const host = bare(url.hostname);
  const port = Number(url.port) || DEFAULT_PORTS[url.protocol] || 0;
  const ip = isIP(host);
  for (const raw of noProxy.split(/[\s,]+/)) {
    if (raw === '') continue;
    if (raw === '*') return true;
    const slash = raw.indexOf('/');
    if (slash >= 0) {
      if (ip && inBlock(raw.slice(0, slash), raw.slice(slash + 1), host, ip)) return true;
      continue;
    }
    const entry = parseEntry(raw);
    if (!entry || (entry.port && entry.port !== port)) continue;
    if (host === entry.host) return true;
    if (!ip && !isIP(entry.host) && host.endsWith(`.${entry.host}`)) return true;
  }
  return false;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address; null if unreadable. */
function parseEntry(raw: string): Entry | null {
  let host = raw;
  let port = 0;
  if (raw.startsWith('[')) {
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(raw);
    if (!m) return null;
    host = m[1]!;
    port = m[2] ? Number(m[2]) : 0;
  } else if (raw.indexOf(':') === raw.lastIndexOf(':')) {
    const m = /^(.*):(\d+)$/.exec(raw);
    if (m) [host, port] = [m[1]!, Number(m[2])];
  } // more than one colon and no brackets: a bare IPv6 address, no port
  host = bare(host.replace(/^\*?\./, ''));
  // IPv6 has many spellings; the URL's host is the canonical one.
  if (isIP(host) === 6 && URL.canParse(`http://[${host}]/`)) host = bare(new URL(`http://[${host}]/`).hostname);
  return host === '' ? null : { host, port };
}

function bare(host: string): string {
  return host.replace(/^\[|\]$/g, '').replace(/\.+$/, '').toLowerCase();
}

function inBlock(network: string, prefix: string, host: string, family: number): boolean {
  const netFamily = isIP(network);
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  if (netFamily !== family || !(bits <= (family === 4 ? 32 : 128))) return false;
  const list = new BlockList();
  const type = family === 4 ? 'ipv4' : 'ipv6';
  list.addSubnet(network, bits, type);
  return list.check(host, type);
}
