// The LDAP adapter against a real OpenLDAP slapd: search then bind, RFC 4515 escaping, exactly one
// entry, an empty password never bound, TLS trust, and a directory that is down or too slow.
import t from 'tap';
import { createLdapDirectory, type LdapOptions } from '../../../daemon/directory/ldap.ts';
import { escapeFilterValue, userFilter } from '../../../daemon/domain/access/ldap-filter.ts';
import { rolesFromGroups } from '../../../daemon/domain/access/role-map.ts';
import { freePort, group, haveSlapd, LDAP_USERS, PEOPLE, SERVICE_DN, startSlapd, type Slapd } from '../../helpers/ldap.ts';

t.test('escapeFilterValue() escapes what RFC 4515 names, and userFilter() fills every {username}', async (t) => {
  t.equal(escapeFilterValue('*'), '\\2a');
  t.equal(escapeFilterValue('a)(uid=*'), 'a\\29\\28uid=\\2a');
  t.equal(escapeFilterValue('x\\y\u0000'), 'x\\5cy\\00');
  t.equal(escapeFilterValue('é'), '\\c3\\a9');
  t.equal(userFilter('(|(uid={username})(mail={username}))', 'a*'), '(|(uid=a\\2a)(mail=a\\2a))');
});

t.test('rolesFromGroups() maps DNs regardless of case, drops unknown VAs, and folds duplicates', async (t) => {
  const map = [
    { group: 'cn=Lab,ou=groups,dc=example,dc=com', role: 'va-admin' as const, virtualAccount: 'Default/Lab' },
    { group: 'cn=lab, ou=groups, dc=example, dc=com', role: 'va-admin' as const, virtualAccount: 'Default/Lab' },
    { group: 'cn=gone,ou=groups,dc=example,dc=com', role: 'va-user' as const, virtualAccount: 'Default/Gone' },
    { group: 'cn=licensing,ou=groups,dc=example,dc=com', role: 'sa-user' as const },
  ];
  const resolveVa = (ref: string) => (ref === 'Default/Lab' ? 'va_lab' : null);
  t.same(rolesFromGroups(['CN=lab,OU=groups,DC=example,DC=com', 'cn=gone,ou=groups,dc=example,dc=com'], map, { dn: true, resolveVa }), [{ role: 'va-admin', vaId: 'va_lab' }]);
  t.same(rolesFromGroups([], map, { dn: true, resolveVa }), []);
  t.same(rolesFromGroups(['Licensing'], [{ group: 'licensing', role: 'viewer' }], { dn: false, resolveVa }), [], 'claims compare exactly');
});

t.test('against slapd', async (t) => {
  if (!haveSlapd(t)) return;
  const slapd: Slapd = await startSlapd(t);
  const base: LdapOptions = {
    url: slapd.url,
    startTls: false,
    caFile: null,
    bindDn: SERVICE_DN,
    bindPasswordFile: slapd.bindPasswordFile,
    userBase: PEOPLE,
    userFilter: '(uid={username})',
    groupAttribute: 'memberOf',
    timeoutSeconds: 2,
  };
  const dir = createLdapDirectory(base);

  await t.test('a user binds with its password and carries its groups', async (t) => {
    const e = await dir.authenticate('alice', LDAP_USERS.alice!.password);
    t.same(e, { dn: `uid=alice,${PEOPLE}`, groups: [group('licensing')] });
    const c = await dir.authenticate('carol', LDAP_USERS.carol!.password);
    t.same(c?.groups.sort(), [group('lab'), group('viewers')].sort());
    t.same(await dir.authenticate('nogroup', LDAP_USERS.nogroup!.password), { dn: `uid=nogroup,${PEOPLE}`, groups: [] });
  });

  await t.test('a wrong or empty password, an unknown user and two matching entries are null', async (t) => {
    t.equal(await dir.authenticate('alice', 'wrong-password'), null);
    t.equal(await dir.authenticate('alice', ''), null);
    t.equal(await dir.authenticate('nobody', 'whatever-password'), null);
    t.equal(await dir.authenticate('twin', LDAP_USERS.twin!.password), null, 'two entries match: refused');
  });

  await t.test('injection in the username matches itself, never another entry', async (t) => {
    const pw = LDAP_USERS.alice!.password;
    for (const name of ['*', 'al*', 'a*e', 'alice)(uid=*', '*)(uid=alice', 'alice\u0000', 'alice\\00', 'alice)(|(uid=*)']) {
      t.equal(await dir.authenticate(name, pw), null, JSON.stringify(name));
    }
    t.match((await dir.authenticate('star*', LDAP_USERS['star*']!.password))?.dn, /^uid=star/, 'a literal * in a uid still logs in');
    t.equal(await dir.authenticate('s*', LDAP_USERS['star*']!.password), null);
  });

  await t.test('without the service account the (restricted) anonymous search finds no one', async (t) => {
    const anon = createLdapDirectory({ ...base, bindDn: null, bindPasswordFile: null });
    t.equal(await anon.authenticate('alice', LDAP_USERS.alice!.password), null);
  });

  await t.test('LDAPS and StartTLS trust the configured CA, and only it', async (t) => {
    const pw = LDAP_USERS.bob!.password;
    t.ok(await createLdapDirectory({ ...base, url: slapd.ldapsUrl, caFile: slapd.caFile }).authenticate('bob', pw));
    t.ok(await createLdapDirectory({ ...base, startTls: true, caFile: slapd.caFile }).authenticate('bob', pw));
    await t.rejects(createLdapDirectory({ ...base, url: slapd.ldapsUrl, caFile: slapd.otherCaFile }).authenticate('bob', pw), { code: 'DIRECTORY_UNAVAILABLE' });
    await t.rejects(createLdapDirectory({ ...base, startTls: true, caFile: slapd.otherCaFile }).authenticate('bob', pw), { code: 'DIRECTORY_UNAVAILABLE' });
    await t.rejects(createLdapDirectory({ ...base, url: slapd.ldapsUrl }).authenticate('bob', pw), { code: 'DIRECTORY_UNAVAILABLE' }, 'no CA: the system roots do not know it');
  });

  await t.test('a directory that is down, or does not answer in time, is 503 DIRECTORY_UNAVAILABLE', async (t) => {
    const closed = `ldap://127.0.0.1:${await freePort()}`;
    await t.rejects(createLdapDirectory({ ...base, url: closed }).authenticate('alice', 'x-password'), { code: 'DIRECTORY_UNAVAILABLE', status: 503 });
    slapd.pause();
    const started = Date.now();
    try {
      await t.rejects(createLdapDirectory({ ...base, timeoutSeconds: 1 }).authenticate('alice', LDAP_USERS.alice!.password), { code: 'DIRECTORY_UNAVAILABLE' });
    } finally {
      slapd.resume();
    }
    t.ok(Date.now() - started < 5000, 'gives up after its timeout');
    t.ok(await dir.authenticate('alice', LDAP_USERS.alice!.password), 'and works again once it answers');
  });
});
