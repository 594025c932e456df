// A real OpenLDAP slapd for tests: a temporary slapd.conf and mdb database on 127.0.0.1, plain
// LDAP (StartTLS offered) and LDAPS on free ports, a throwaway CA, the memberof overlay so users
// carry `memberOf` like Active Directory's, and a few seeded users and groups. Under CI=true a
// missing slapd fails the test; elsewhere it skips with a message naming the binary.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'tap';
import { loud } from './e2e/browser.ts';
import { makeCertificates } from './exchange.ts';
import { tempDir } from './tmp.ts';

export const SLAPD = '/usr/sbin/slapd';
export const LDAPADD = '/usr/bin/ldapadd';
export const BASE = 'dc=example,dc=com';
export const ROOT_DN = `cn=admin,${BASE}`;
export const ROOT_PW = 'root-secret-for-tests';
export const SERVICE_DN = `cn=outpost,ou=services,${BASE}`;
export const SERVICE_PW = 'service-secret-for-tests';
export const PEOPLE = `ou=people,${BASE}`;
export const GROUPS = `ou=groups,${BASE}`;
export const group = (cn: string) => `cn=${cn},${GROUPS}`;

/** The seeded users: uid → password and the groups (cn) they are in. */
export const LDAP_USERS: Record<string, { password: string; groups: string[] }> = {
  alice: { password: 'alice-directory-pw', groups: ['licensing'] },
  bob: { password: 'bob-directory-pw', groups: ['lab'] },
  carol: { password: 'carol-directory-pw', groups: ['viewers', 'lab'] },
  nogroup: { password: 'nogroup-directory-pw', groups: [] },
  // A name a local user holds (test: NAME_TAKEN across sources).
  admin: { password: 'admin-directory-pw', groups: ['licensing'] },
  // Two entries match "(uid=twin)": the search must find exactly one.
  twin: { password: 'twin-directory-pw', groups: ['licensing'] },
  // A uid that needs escaping in a filter.
  'star*': { password: 'star-directory-pw', groups: ['licensing'] },
};
export const LDAP_GROUPS = ['licensing', 'lab', 'viewers', 'admins'];

export interface Slapd {
  /** ldap://127.0.0.1:<port> (StartTLS offered). */
  url: string;
  /** ldaps://127.0.0.1:<port>. */
  ldapsUrl: string;
  /** The CA that signed slapd's certificate. */
  caFile: string;
  /** A CA that did not (an untrusted certificate, from the client's side). */
  otherCaFile: string;
  /** A file holding SERVICE_PW, for auth.ldap.bindPasswordFile. */
  bindPasswordFile: string;
  dir: string;
  /** Stops slapd until `resume()` (a directory that does not answer). */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

/** True when slapd can run here; under CI=true its absence fails `t`. */
export function haveSlapd(t: Test): boolean {
  if (existsSync(SLAPD) && existsSync(LDAPADD)) return true;
  const why = `${SLAPD} or ${LDAPADD} is missing: the directory tests cannot run (apt-get install -y slapd ldap-utils)`;
  if (process.env.CI === 'true') {
    t.fail(`${why} — and CI=true requires them`);
  } else {
    loud([`SKIPPING DIRECTORY TESTS: ${why}.`, 'Under CI=true this is a failure.']);
    t.pass(why, { skip: why });
  }
  return false;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const ldif = (entries: Array<Record<string, string | string[]>>) =>
  entries
    .map((e) =>
      Object.entries(e)
        .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}: ${x}`))
        .join('\n'),
    )
    .join('\n\n') + '\n';

/** More users and groups to seed beside LDAP_USERS / LDAP_GROUPS (the access matrix's directory callers). */
export interface SlapdExtra {
  users: Record<string, { password: string; groups: string[] }>;
  groups: string[];
}

function seed(extra: SlapdExtra = { users: {}, groups: [] }): string {
  const users = [...Object.entries(LDAP_USERS), ...Object.entries(extra.users)];
  const entries: Array<Record<string, string | string[]>> = [
    { dn: BASE, objectClass: ['top', 'dcObject', 'organization'], o: 'Example', dc: 'example' },
    { dn: PEOPLE, objectClass: 'organizationalUnit', ou: 'people' },
    { dn: `ou=more,${PEOPLE}`, objectClass: 'organizationalUnit', ou: 'more' },
    { dn: GROUPS, objectClass: 'organizationalUnit', ou: 'groups' },
    { dn: `ou=services,${BASE}`, objectClass: 'organizationalUnit', ou: 'services' },
    { dn: SERVICE_DN, objectClass: ['person', 'simpleSecurityObject'], cn: 'outpost', sn: 'service', userPassword: SERVICE_PW },
  ];
  for (const [uid, u] of users) {
    entries.push({ dn: `uid=${uid.replace(/\*/g, '\\2a')},${PEOPLE}`, objectClass: 'inetOrgPerson', uid, cn: uid, sn: uid, userPassword: u.password });
  }
  entries.push({ dn: `uid=twin,ou=more,${PEOPLE}`, objectClass: 'inetOrgPerson', uid: 'twin', cn: 'twin2', sn: 'twin', userPassword: 'twin-directory-pw' });
  // Groups last: the memberof overlay writes memberOf onto members that exist.
  for (const g of [...LDAP_GROUPS, ...extra.groups]) {
    const members = users.filter(([, u]) => u.groups.includes(g)).map(([uid]) => `uid=${uid.replace(/\*/g, '\\2a')},${PEOPLE}`);
    entries.push({ dn: group(g), objectClass: 'groupOfNames', cn: g, member: members.length ? members : [ROOT_DN] });
  }
  return ldif(entries);
}

/** Starts slapd for the test; stopped at teardown. */
export async function startSlapd(t: Test, extra?: SlapdExtra): Promise<Slapd> {
  const dir = tempDir(t, 'op-ldap-');
  await mkdir(path.join(dir, 'db'));
  await mkdir(path.join(dir, 'tls'));
  const certs = await makeCertificates(path.join(dir, 'tls'));
  await mkdir(path.join(dir, 'other'));
  const other = await makeCertificates(path.join(dir, 'other'));
  const [port, tlsPort] = [await freePort(), await freePort()];
  const conf = path.join(dir, 'slapd.conf');
  await writeFile(
    conf,
    [
      'include /etc/ldap/schema/core.schema',
      'include /etc/ldap/schema/cosine.schema',
      'include /etc/ldap/schema/inetorgperson.schema',
      'include /etc/ldap/schema/nis.schema',
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      'moduleload memberof',
      `pidfile ${path.join(dir, 'slapd.pid')}`,
      `TLSCACertificateFile ${certs.ca}`,
      `TLSCertificateFile ${certs.cert}`,
      `TLSCertificateKeyFile ${certs.key}`,
      'database mdb',
      `suffix "${BASE}"`,
      `rootdn "${ROOT_DN}"`,
      `rootpw ${ROOT_PW}`,
      `directory ${path.join(dir, 'db')}`,
      'maxsize 33554432',
      'overlay memberof',
      'access to attrs=userPassword by self write by anonymous auth by * none',
      'access to * by users read by * none',
      '',
    ].join('\n'),
  );
  const bindPasswordFile = path.join(dir, 'bind-password');
  await writeFile(bindPasswordFile, SERVICE_PW + '\n', { mode: 0o600 });
  const url = `ldap://127.0.0.1:${port}`;
  const ldapsUrl = `ldaps://127.0.0.1:${tlsPort}`;
  let stderr = '';
  const child: ChildProcess = spawn(SLAPD, ['-f', conf, '-h', `${url}/ ${ldapsUrl}/`, '-d', 'none'], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d) => (stderr = (stderr + String(d)).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    await exited;
  };
  t.teardown(stop);
  // Ready when it accepts a connection.
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`slapd exited (${child.exitCode}): ${stderr}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.end(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`slapd did not listen on ${url}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const seedFile = path.join(dir, 'seed.ldif');
  await writeFile(seedFile, seed(extra));
  await promisify(execFile)(LDAPADD, ['-x', '-H', url, '-D', ROOT_DN, '-w', ROOT_PW, '-f', seedFile]);
  return {
    url,
    ldapsUrl,
    caFile: certs.ca,
    otherCaFile: other.ca,
    bindPasswordFile,
    dir,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    stop,
  };
}
