// The reference cloud over HTTPS, with a CA and a server certificate for 127.0.0.1 made by
// openssl at test time: a client trusting that CA registers and syncs; one that does not fails.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { Agent } from 'undici';
import { expectKind } from '../../../exchange/bundle/index.ts';
import { openAnswer, post, startCloud, tempDir, TestSatellite, TOKEN } from './fixtures/satellite.ts';

const openssl = (...args: string[]) => promisify(execFile)('openssl', args);

/** A throwaway CA and a certificate it signs for IP 127.0.0.1. */
async function makeCertificates(dir: string) {
  const f = (name: string) => join(dir, name);
  await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'),
    '-days', '1', '-subj', '/CN=Outpost Test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  await openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1');
  await writeFile(f('server.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  await openssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '1', '-extfile', f('server.ext'));
  return { ca: f('ca.crt'), cert: f('server.crt'), key: f('server.key') };
}

t.test('over HTTPS: a satellite trusting the CA registers and syncs; an untrusting client is refused by TLS', async (t) => {
  const dir = await tempDir(t);
  const pem = await makeCertificates(dir);
  const cloud = await startCloud(t, dir, { tls: { cert: pem.cert, key: pem.key } });
  t.match(cloud.url, /^https:\/\/127\.0\.0\.1:\d+$/);

  const trusting = new Agent({ connect: { ca: await readFile(pem.ca) } });
  t.teardown(() => trusting.close());
  const sat = new TestSatellite('sat_tls', dir);
  const reg = await post(`${cloud.url}/v1/satellites/register`, await sat.registrationRequest(TOKEN), { dispatcher: trusting });
  t.equal(reg.status, 200);
  sat.account = expectKind((await openAnswer(dir, reg.body, cloud.identity.jwksPath)).manifest, ['registration-response']).account;
  const sync = await post(`${cloud.url}/v1/satellites/${sat.id}/sync`, await sat.report(), { dispatcher: trusting });
  t.equal(sync.status, 200);
  t.match((await openAnswer(dir, sync.body, cloud.identity.jwksPath)).manifest, { kind: 'cloud-response', inReplyTo: 1, sequence: 2 });

  const untrusting = new Agent();
  t.teardown(() => untrusting.close());
  await t.rejects(post(`${cloud.url}/v1/satellites/register`, await sat.registrationRequest(TOKEN), { dispatcher: untrusting }), {
    code: /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/,
  });
});
