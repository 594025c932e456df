// Every SPEC §5 refusal as a bundle file for one satellite, for the import tests (admin API and
// command line). The satellite is expected to be registered to ACCOUNT, to have exported report
// 1, to have applied cloud sequence 3, and to trust `cloud.key` but no longer `removedKey`.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { base64url } from 'jose';
import { generateSigningKey, writeBundle } from '../../exchange/bundle/index.ts';
import type { SigningKey } from '../../exchange/bundle/index.ts';
import { craftZip, type CraftEntry } from '../unit/exchange/fixtures/craft-zip.ts';
import { signedCraft, unpack } from '../unit/exchange/fixtures/bundle.ts';
import { ACCOUNT, FakeCloud, line, POLICY } from './exchange.ts';

export interface RefusalCase {
  name: string;
  file: string;
  code: string;
  message: RegExp;
}

/** The byte limit the satellite under test is configured with (exchange.maxBundleBytes). */
export const CASE_MAX_BYTES = 1024 * 1024;

export async function refusalCases(dir: string, cloud: FakeCloud, satellite: string, removedKey: SigningKey, createdAt: string): Promise<{ cases: RefusalCase[]; good: string }> {
  const manifest = { kind: 'cloud-response', satellite, account: ACCOUNT, sequence: 10, inReplyTo: 1, createdAt, policy: POLICY };
  const good = await cloud.cloudResponse(satellite, { sequence: 10, inReplyTo: 1, createdAt });
  const goodBytes = await readFile(good);
  const entries = await unpack(good);
  const repack = (edit: (e: CraftEntry[]) => CraftEntry[]) => craftZip(edit(entries.map((e) => ({ name: e.name, data: e.data }))));
  const lineText = JSON.stringify(line('L1')) + '\n';
  const jws = entries.find((e) => e.name === 'manifest.jws')!.data.toString();
  const [h, p, s] = jws.split('.');
  const tamperedPayload = { ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sequence: 11 };

  const cases: Array<[string, Buffer | Promise<Buffer> | Promise<string>, string, RegExp]> = [
    ['a file that is not a zip', Buffer.from('this is not a zip file\n'), 'BUNDLE_NOT_ZIP', /not a zip/],
    ['a truncated zip', goodBytes.subarray(0, goodBytes.length >> 1), 'BUNDLE_NOT_ZIP', /truncated/],
    [
      'a zip bomb whose headers and manifest lie about its size',
      signedCraft({
        key: cloud.key,
        manifest,
        // Declared just under the limit, so no size check before inflating can tell.
        files: [{ name: 'entitlements.ndjson', content: Buffer.alloc(16 * 1024 * 1024, '\n'), declaredSize: CASE_MAX_BYTES - 4096, manifestBytes: CASE_MAX_BYTES - 4096, records: 0 }],
      }),
      'BUNDLE_TOO_LARGE',
      /inflates to more than/,
    ],
    [
      'more uncompressed bytes than exchange.maxBundleBytes',
      signedCraft({ key: cloud.key, manifest, files: [{ name: 'entitlements.ndjson', content: lineText.repeat(Math.ceil((CASE_MAX_BYTES * 1.5) / lineText.length)) }] }),
      'BUNDLE_TOO_LARGE',
      /over the limit of 1048576/,
    ],
    ['an entry named ../x', repack((e) => [...e, { name: '../x', data: '{}\n' }]), 'BUNDLE_ENTRY_INVALID', /"\.\.\/x" contains/],
    ['an absolute entry name', repack((e) => [...e, { name: '/etc/passwd', data: 'x' }]), 'BUNDLE_ENTRY_INVALID', /"\/etc\/passwd" contains "\/"/],
    ['a folder entry', repack((e) => [{ name: 'folder/', data: '' }, ...e]), 'BUNDLE_ENTRY_INVALID', /folder entry/],
    ['65 entries', repack((e) => [...e, ...Array.from({ length: 65 - e.length }, (_, i) => ({ name: `x${i}.ndjson`, data: '' }))]), 'BUNDLE_ENTRY_INVALID', /65 entries, more than the 64/],
    ['a missing file', repack((e) => e.filter((x) => x.name !== 'entitlements.ndjson')), 'BUNDLE_ENTRY_INVALID', /which the zip does not hold/],
    ['an extra entry', repack((e) => [...e, { name: 'notes.txt', data: 'hello' }]), 'BUNDLE_ENTRY_INVALID', /"notes.txt", which the manifest does not name/],
    ['a duplicated entry', repack((e) => [e[0]!, ...e]), 'BUNDLE_ENTRY_INVALID', /appears more than once/],
    ['a signature by an unknown key', cloud.cloudResponse(satellite, { sequence: 10, inReplyTo: 1, createdAt, key: generateSigningKey() }), 'BUNDLE_KEY_UNKNOWN', /not trusted/],
    ['a signature by a key removed from the JWKS', cloud.cloudResponse(satellite, { sequence: 10, inReplyTo: 1, createdAt, key: removedKey }), 'BUNDLE_KEY_UNKNOWN', /not trusted/],
    [
      'a bad signature (manifest changed after signing)',
      repack((e) => e.map((x) => (x.name === 'manifest.jws' ? { ...x, data: [h, base64url.encode(JSON.stringify(tamperedPayload)), s].join('.') } : x))),
      'BUNDLE_SIGNATURE_INVALID',
      /does not verify/,
    ],
    [
      'a data file changed after signing',
      repack((e) => e.map((x) => (x.name === 'entitlements.ndjson' ? { ...x, data: Buffer.from(x.data.toString().replace('"quantity":10', '"quantity":99')) } : x))),
      'BUNDLE_HASH_MISMATCH',
      /SHA-256 of entitlements.ndjson does not match/,
    ],
    [
      'a file that is not NDJSON of the right records',
      signedCraft({ key: cloud.key, manifest, files: [{ name: 'entitlements.ndjson', content: lineText + '{"lineId": oops\n', records: 2 }] }),
      'BUNDLE_RECORD_INVALID',
      /line 2 of entitlements.ndjson is not JSON/,
    ],
    [
      'a record of the wrong shape',
      signedCraft({ key: cloud.key, manifest, files: [{ name: 'entitlements.ndjson', content: JSON.stringify({ ...line('L1'), quantity: -5 }) + '\n' }] }),
      'BUNDLE_RECORD_INVALID',
      /not a valid record \(quantity/,
    ],
    ['a response for another satellite', cloud.cloudResponse('sat_someone_else', { sequence: 10, inReplyTo: 1, createdAt }), 'BUNDLE_WRONG_SATELLITE', /for satellite sat_someone_else/],
    ['a response for another account', cloud.cloudResponse(satellite, { sequence: 10, inReplyTo: 1, createdAt, account: 'acc_other' }), 'BUNDLE_WRONG_SATELLITE', /for account acc_other/],
    ['a response to a report never exported', cloud.cloudResponse(satellite, { sequence: 10, inReplyTo: 7, createdAt }), 'BUNDLE_UNEXPECTED', /never exported/],
    ['a registration response nobody asked for', cloud.registrationResponse(satellite, { sequence: 10, createdAt }), 'BUNDLE_UNEXPECTED', /no registration request/],
    [
      'a kind the cloud never sends',
      (async () => {
        const out = path.join(dir, 'odd-kind.zip');
        await writeBundle({
          out,
          ...cloud.key,
          manifest: { kind: 'satellite-report', satellite, account: ACCOUNT, sequence: 10, inReplyTo: null, createdAt },
          files: ['virtual-accounts.ndjson', 'devices.ndjson', 'usage.ndjson', 'transfers.ndjson', 'reservations.ndjson', 'rum.ndjson'].map((name) => ({ name: name as 'usage.ndjson', records: [] })),
        });
        return out;
      })(),
      'BUNDLE_UNEXPECTED',
      /satellite-report bundle is not what this side expects/,
    ],
    ['a stale response (older than one applied, never applied)', cloud.cloudResponse(satellite, { sequence: 2, inReplyTo: 1, createdAt }), 'STALE_BUNDLE', /older than 3/],
  ];

  const out: RefusalCase[] = [];
  let n = 0;
  for (const [name, data, code, message] of cases) {
    const value = await data;
    let file: string;
    if (typeof value === 'string') file = value;
    else {
      file = path.join(dir, `case-${++n}.zip`);
      await writeFile(file, value);
    }
    out.push({ name, file, code, message });
  }
  return { cases: out, good };
}
