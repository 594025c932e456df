// A target's address (SPEC §9 "Targets"): `https://host[:port]`, no path, no user info; and the
// network rule the collector checks twice, on the resolved address at creation and on the address
// actually connected to at each poll: inside `collector.allowedNetworks`, never the satellite
// itself. IP parsing is written out here so the domain needs no node:net.

export interface TargetAddress {
  /** Normalised `https://host[:port]` (lowercase host, default port dropped). */
  address: string;
  /** The host as written, without IPv6 brackets. */
  host: string;
  port: number;
}

/** Parses a target address; a string is the reason it is refused. */
export function parseTargetAddress(input: string): TargetAddress | string {
  if (typeof input !== 'string' || input.length > 300) return 'must be a string of at most 300 characters';
  if (!/^https:\/\//i.test(input)) return 'must start with https://';
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return 'is not a URL';
  }
  if (url.username || url.password || input.slice(8).includes('@')) return 'must not carry user info';
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || /^https:\/\/[^/]+\/./i.test(input)) {
    return 'must be https://host[:port] with no path, query or fragment';
  }
  if (!url.hostname) return 'has no host';
  const port = url.port ? Number(url.port) : 443;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return { address: `https://${url.host}`, host, port };
}

/** An IPv4 or IPv6 address as 16 bytes (IPv4 mapped into ::ffff:0:0/96), or null. */
export function ipBytes(ip: string): Uint8Array | null {
  const v4 = parseV4(ip);
  if (v4) return Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4]);
  return parseV6(ip);
}

function parseV4(ip: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((n) => n <= 255) ? parts : null;
}

function parseV6(input: string): Uint8Array | null {
  let ip = input.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  // A dotted IPv4 tail (::ffff:10.0.0.1) becomes its two hex groups.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (dotted) {
    const v4 = parseV4(dotted[2]!);
    if (!v4) return null;
    ip = `${dotted[1]}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = ip.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if ([...head, ...rest].some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return null;
  const fill = 8 - head.length - rest.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return null;
  const words = [...head.map((g) => parseInt(g, 16)), ...Array<number>(halves.length === 2 ? fill : 0).fill(0), ...rest.map((g) => parseInt(g, 16))];
  if (words.length !== 8) return null;
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

export interface Cidr {
  bytes: Uint8Array;
  /** Prefix length over the 16-byte form. */
  bits: number;
  text: string;
}

/** Parses `10.0.0.0/8` or `fc00::/7` (a bare address is a /32 or /128); a string is the reason it is refused. */
export function parseCidr(text: string): Cidr | string {
  const [addr, len, extra] = text.split('/');
  if (extra !== undefined || !addr) return `"${text}" is not an address/prefix`;
  const bytes = ipBytes(addr);
  if (!bytes) return `"${text}" is not an IP address`;
  const v4 = parseV4(addr) !== null;
  const max = v4 ? 32 : 128;
  const n = len === undefined ? max : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!(n >= 0 && n <= max)) return `"${text}" has a prefix length outside 0–${max}`;
  return { bytes, bits: v4 ? 96 + n : n, text };
}

export function inCidr(ip: Uint8Array, c: Cidr): boolean {
  for (let i = 0; i < c.bits; i++) {
    const byte = i >> 3;
    const mask = 0x80 >> (i & 7);
    if ((ip[byte]! & mask) !== (c.bytes[byte]! & mask)) return false;
  }
  return true;
}

/** SPEC §9's default: the private ranges and loopback. */
export const DEFAULT_ALLOWED_NETWORKS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', '127.0.0.0/8', '::1/128'];

export interface Listener {
  host: string;
  port: number;
}

const UNSPECIFIED = new Set(['0.0.0.0', '::']);

/**
 * Whether connecting to `ip`:`port` is allowed: inside one of `allowed`, and not one of the
 * satellite's own listeners (a listener on 0.0.0.0 or :: owns that port on every local address;
 * loopback counts as local). A string is the reason it is refused.
 */
export function checkConnectAddress(ip: string, port: number, allowed: readonly Cidr[], listeners: readonly Listener[]): string | null {
  const bytes = ipBytes(ip);
  if (!bytes) return `${ip} is not an IP address`;
  if (!allowed.some((c) => inCidr(bytes, c))) return `${ip} is outside collector.allowedNetworks`;
  const loop = [parseCidr('127.0.0.0/8'), parseCidr('::1/128')].filter((c): c is Cidr => typeof c !== 'string');
  const isLoop = loop.some((c) => inCidr(bytes, c));
  for (const l of listeners) {
    if (l.port !== port) continue;
    const lb = ipBytes(l.host);
    if (UNSPECIFIED.has(l.host) || (lb && equalBytes(lb, bytes)) || (isLoop && lb && loop.some((c) => inCidr(lb, c))) || l.host === 'localhost') {
      return `${ip}:${port} is one of the satellite's own listeners`;
    }
  }
  return null;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
