import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import {
  exportPrivateJwk,
  exportPrivatePem,
  generateSigningKey,
  importPrivateKey,
  importPublicJwk,
  loadJwks,
  publicJwkOf,
  readPrivateKeyFile,
  thumbprint,
  writeJwksFile,
  writePrivateKeyFile,
} from '../../../../exchange/bundle/index.ts';
import { tempDir } from '../fixtures/bundle.ts';

t.test('thumbprint() is RFC 7638 (the RFC 8037 A.3 Ed25519 example)', async (t) => {
  const jwk = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };
  t.equal(await thumbprint(jwk), 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  t.equal(await thumbprint({ ...jwk, kid: 'other', use: 'sig' }), 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k', 'extra members do not count');
});

t.test('a generated key exports and imports as PEM and as JWK, keeping its public half', async (t) => {
  const key = generateSigningKey();
  t.same(Object.keys(key.publicJwk).sort(), ['crv', 'kty', 'x']);
  t.same(publicJwkOf(importPrivateKey(exportPrivatePem(key.privateKey))), key.publicJwk);
  t.same(publicJwkOf(importPrivateKey(exportPrivateJwk(key.privateKey))), key.publicJwk);
  t.same(publicJwkOf(importPublicJwk(key.publicJwk)), key.publicJwk);
  t.throws(() => importPublicJwk(exportPrivateJwk(key.privateKey)), TypeError, 'a private JWK is not a public key');
});

t.test('the private key file is mode 0600 and never overwritten', async (t) => {
  const dir = await tempDir(t);
  const key = generateSigningKey();
  const path = join(dir, 'key.pem');
  await writePrivateKeyFile(path, key.privateKey);
  t.equal((await stat(path)).mode & 0o777, 0o600);
  t.same((await readPrivateKeyFile(path)).publicJwk, key.publicJwk);
  await t.rejects(writePrivateKeyFile(path, generateSigningKey().privateKey), { code: 'EEXIST' });
});

t.test('a JWKS file holds several keys for rotation, each named by its thumbprint', async (t) => {
  const dir = await tempDir(t);
  const a = generateSigningKey();
  const b = generateSigningKey();
  const path = join(dir, 'keys.json');
  await writeJwksFile(path, [a.publicJwk, b.publicJwk]);
  const jwks = await loadJwks(path);
  t.equal(jwks.keys.length, 2);
  t.match(jwks.keys[0], { ...a.publicJwk, kid: await thumbprint(a.publicJwk), alg: 'EdDSA', use: 'sig' });
  t.match(jwks.keys[1], { kid: await thumbprint(b.publicJwk) });
});

t.test('loadJwks() refuses, naming the file, what is not a set of Ed25519 public keys', async (t) => {
  const dir = await tempDir(t);
  const cases: Array<[string, string, RegExp]> = [
    ['missing.json', '', /cannot read the key set .*missing.json/],
    ['bad.json', '{not json', /cannot read the key set/],
    ['empty.json', '{"keys":[]}', /at least one key/],
    ['rsa.json', '{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}', /key 0 of the key set .* is not an Ed25519 public key/],
  ];
  for (const [name, content, message] of cases) {
    const path = join(dir, name);
    if (content) await writeFile(path, content);
    await t.rejects(loadJwks(path), { message }, name);
  }
});
