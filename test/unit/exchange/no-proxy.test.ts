// NO_PROXY matching, case by case: names and their subdomains, IP addresses and CIDR blocks,
// ports, the wildcard, and what must not match.
import t from 'tap';
import { bypassesProxy } from '../../../exchange/no-proxy.ts';

const cases: Array<[noProxy: string | undefined, url: string, bypass: boolean, why: string]> = [
  [undefined, 'https://cloud.example.com', false, 'unset: everything goes through the proxy'],
  ['', 'https://cloud.example.com', false, 'empty: the same'],
  [' , ,', 'https://cloud.example.com', false, 'only separators: the same'],
  ['*', 'https://cloud.example.com', true, '* alone: no host goes through the proxy'],
  ['localhost, *', 'https://cloud.example.com', true, '* as one entry of a list'],
  ['cloud.example.com', 'https://cloud.example.com/base', true, 'the host itself'],
  ['CLOUD.Example.COM', 'https://cloud.example.com', true, 'names compare without regard to case'],
  ['example.com', 'https://cloud.example.com', true, 'a domain covers the names under it'],
  ['example.com', 'https://a.b.example.com', true, '...at any depth'],
  ['example.com', 'https://example.com', true, '...and itself'],
  ['.example.com', 'https://cloud.example.com', true, 'a leading dot: the domain'],
  ['.example.com', 'https://example.com', true, '...itself too, as curl reads it'],
  ['*.example.com', 'https://cloud.example.com', true, 'a leading *.: the domain'],
  ['example.com', 'https://badexample.com', false, 'a suffix that is not a whole label does not match'],
  ['cloud.example.com', 'https://example.com', false, 'a subdomain does not cover its parent'],
  ['example.org', 'https://example.com', false, 'another name'],
  ['example.com.', 'https://cloud.example.com', true, 'a trailing dot in the entry is ignored'],
  ['example.com', 'https://cloud.example.com./', true, '...and in the URL'],
  ['other.test,example.com', 'https://cloud.example.com', true, 'comma-separated list'],
  ['other.test example.com', 'https://cloud.example.com', true, 'white space separates too'],
  [' other.test , example.com ', 'https://cloud.example.com', true, 'blanks around entries are ignored'],
  ['example.com:443', 'https://cloud.example.com', true, 'a port: the URL’s default port counts'],
  ['example.com:8443', 'https://cloud.example.com:8443', true, 'a port given in the URL'],
  ['example.com:8443', 'https://cloud.example.com', false, 'another port does not match'],
  ['example.com:80', 'http://cloud.example.com', true, 'http’s default port'],
  ['127.0.0.1', 'https://127.0.0.1:8443', true, 'an IPv4 address'],
  ['127.0.0.1:8443', 'https://127.0.0.1:8443', true, 'an IPv4 address with its port'],
  ['127.0.0.1:9999', 'https://127.0.0.1:8443', false, '...with another port'],
  ['0.0.1', 'https://127.0.0.1', false, 'no suffix matching of IP addresses'],
  ['127.0.0.1', 'https://127.0.0.10', false, 'nor prefix matching'],
  ['127.0.0.0/8', 'https://127.1.2.3', true, 'a CIDR block'],
  ['10.0.0.0/8', 'https://127.1.2.3', false, '...not containing the address'],
  ['127.0.0.0/8', 'https://localhost', false, 'a CIDR block never matches a name (no DNS lookup)'],
  ['127.0.0.0/40', 'https://127.0.0.1', false, 'an impossible prefix matches nothing'],
  ['127.0.0.0/x', 'https://127.0.0.1', false, 'nor does an unreadable one'],
  ['::1/128', 'https://127.0.0.1', false, 'an IPv6 block does not match an IPv4 address'],
  ['::1', 'https://[::1]:8443', true, 'a bare IPv6 address'],
  ['[::1]', 'https://[::1]:8443', true, 'a bracketed one'],
  ['[::1]:8443', 'https://[::1]:8443', true, 'a bracketed one with its port'],
  ['[::1]:443', 'https://[::1]:8443', false, '...with another port'],
  ['0:0:0:0:0:0:0:1', 'https://[::1]', true, 'IPv6 in another spelling'],
  ['fd00::/8', 'https://[fd12:3456::1]', true, 'an IPv6 CIDR block'],
  ['fd00::/8', 'https://[fe80::1]', false, '...not containing the address'],
  ['[::1', 'https://[::1]', false, 'an unreadable entry matches nothing'],
  ['example.com', 'https://[::1]', false, 'a name never matches an address'],
  ['localhost', 'https://localhost:8443', true, 'localhost is a name like any other'],
];

t.test('bypassesProxy() reads NO_PROXY as curl does', async (t) => {
  for (const [noProxy, url, bypass, why] of cases) {
    t.equal(bypassesProxy(noProxy, new URL(url)), bypass, `${JSON.stringify(noProxy)} vs ${url}: ${why}`);
  }
});
