// Target addresses and the network rule (SPEC §9 "Targets"), the entitlement map, and Cisco's XML
// files: the usage file round trip with `]]>` inside, acknowledgement documents read safely.
import t from 'tap';
import { checkConnectAddress, DEFAULT_ALLOWED_NETWORKS, ipBytes, parseCidr, parseTargetAddress, type Cidr } from '../../../../daemon/domain/collector/addresses.ts';
import { entitlementFor, readEntitlementMap } from '../../../../daemon/domain/collector/entitlement-map.ts';
import { BadXml, cdata, checkAckDocument, parseRumUsageXml, rumUsageXml } from '../../../../daemon/domain/collector/xml.ts';
import { standInAck } from '../../../../exchange/cloud/rum-acks.ts';

t.test('an address is https://host[:port]: no path, user info, query, or other scheme', async (t) => {
  t.same(parseTargetAddress('https://10.1.2.3'), { address: 'https://10.1.2.3', host: '10.1.2.3', port: 443 });
  t.same(parseTargetAddress('https://10.1.2.3:8443'), { address: 'https://10.1.2.3:8443', host: '10.1.2.3', port: 8443 });
  t.same(parseTargetAddress('https://10.1.2.3:443/'), { address: 'https://10.1.2.3', host: '10.1.2.3', port: 443 });
  t.same(parseTargetAddress('HTTPS://Switch-1.Lab'), { address: 'https://switch-1.lab', host: 'switch-1.lab', port: 443 });
  t.same(parseTargetAddress('https://[fd00::1]:9443'), { address: 'https://[fd00::1]:9443', host: 'fd00::1', port: 9443 });
  for (const bad of ['http://10.1.2.3', 'ftp://x', '10.1.2.3', 'https://u:p@10.1.2.3', 'https://u@10.1.2.3', 'https://10.1.2.3/smartlic-service',
    'https://10.1.2.3?x=1', 'https://10.1.2.3#f', 'https://', 'https://10.1.2.3:99999']) {
    t.type(parseTargetAddress(bad), 'string', bad);
  }
});

t.test('IP parsing and CIDR membership, v4, v6 and mapped v4', async (t) => {
  const nets = DEFAULT_ALLOWED_NETWORKS.map((c) => parseCidr(c) as Cidr);
  t.ok(nets.every((n) => typeof n !== 'string'));
  const ok = (ip: string) => checkConnectAddress(ip, 443, nets, []) === null;
  for (const ip of ['10.0.0.1', '10.255.255.255', '172.16.0.1', '172.31.255.1', '192.168.1.1', '127.0.0.1', '::1', 'fd12::5', '::ffff:10.1.2.3']) t.ok(ok(ip), ip);
  for (const ip of ['8.8.8.8', '172.32.0.1', '11.0.0.1', '169.254.1.1', '2001:db8::1', 'fe80::1', '::ffff:8.8.8.8', '0.0.0.0']) t.notOk(ok(ip), ip);
  t.equal(ipBytes('1.2.3'), null);
  t.equal(ipBytes('1:2:3'), null);
  t.equal(ipBytes('1::2::3'), null);
  t.same([...ipBytes('2001:db8::1')!], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  t.type(parseCidr('10.0.0.0/33'), 'string');
  t.type(parseCidr('nonsense/8'), 'string');
});

t.test("the satellite's own listeners are refused, on their address or on a wildcard", async (t) => {
  const nets = ['127.0.0.0/8', '10.0.0.0/8'].map((c) => parseCidr(c) as Cidr);
  t.match(checkConnectAddress('127.0.0.1', 8180, nets, [{ host: '127.0.0.1', port: 8180 }]), /own listeners/);
  t.match(checkConnectAddress('127.0.0.5', 8182, nets, [{ host: '0.0.0.0', port: 8182 }]), /own listeners/);
  t.match(checkConnectAddress('10.0.0.5', 8182, nets, [{ host: '::', port: 8182 }]), /own listeners/);
  t.match(checkConnectAddress('127.0.0.2', 8180, nets, [{ host: '127.0.0.1', port: 8180 }]), /own listeners/, 'loopback is all one host');
  t.equal(checkConnectAddress('10.0.0.5', 8180, nets, [{ host: '127.0.0.1', port: 8180 }]), null, 'another host on that port');
  t.equal(checkConnectAddress('127.0.0.1', 9443, nets, [{ host: '0.0.0.0', port: 8182 }]), null, 'another port');
});

t.test('entitlement map: tag → name, unmapped tags name themselves, bad files refused', async (t) => {
  const map = readEntitlementMap({ 'regid.x': 'network-advantage' });
  t.ok(map instanceof Map, 'a map');
  if (typeof map === 'string') return;
  t.equal(entitlementFor(map, 'regid.x'), 'network-advantage');
  t.equal(entitlementFor(map, 'regid.y'), 'regid.y');
  t.type(readEntitlementMap({ a: 5 }), 'string');
  t.type(readEntitlementMap(['a']), 'string');
  t.same(readEntitlementMap(null), new Map());
});

t.test('the usage file round-trips report objects, a ]]> inside split across CDATA sections', async (t) => {
  const reports = [JSON.stringify({ payload: '{"a":"x]]>y"}', header: { type: 'rum' } }), '{"payload":"{}","weird":"]]>]]>"}'];
  const xml = rumUsageXml(reports);
  t.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<smartLicense><RUMReport><![CDATA['));
  t.notOk(xml.includes('x]]>y'), 'the terminator never appears whole inside a section');
  t.equal(cdata(']]>'), '<![CDATA[]]]]><![CDATA[>]]>');
  t.same(parseRumUsageXml(xml), reports);
});

t.test('acknowledgement documents: shape checked, DOCTYPE and entities refused, stand-in ids read', async (t) => {
  const doc = standInAck({ pid: 'P', sn: 'S' }, ['9007199254740993', '9007199254740994']);
  t.same(checkAckDocument(doc), { reportIds: ['9007199254740993', '9007199254740994'] });
  t.same(checkAckDocument('<smartLicense><smartLicenseRumAck><data>opaque-cisco-bytes</data></smartLicenseRumAck><smartLicensePolicy/></smartLicense>'), { reportIds: null });
  const refused = [
    '<?xml version="1.0"?><!DOCTYPE smartLicense [<!ENTITY x "y">]><smartLicense><smartLicenseRumAck><data>&x;</data></smartLicenseRumAck></smartLicense>',
    '<!DOCTYPE smartLicense SYSTEM "file:///etc/passwd"><smartLicense/>',
    '<smartLicense><smartLicenseRumAck><data>x</data></smartLicense>',
    '<other><smartLicenseRumAck/></other>',
    '<smartLicense><smartLicensePolicy/></smartLicense>',
    'not xml at all',
  ];
  for (const x of refused) t.throws(() => checkAckDocument(x), BadXml, x.slice(0, 40));
});
