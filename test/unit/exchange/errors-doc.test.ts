// The error catalogues and their documentation must not drift apart.
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { BUNDLE_ERROR_CODES } from '../../../exchange/bundle/index.ts';
import { CLOUD_ERROR_CODES, CloudError } from '../../../exchange/cloud/index.ts';

const doc = await readFile(new URL('../../../exchange/README.md', import.meta.url), 'utf8');

t.test('every bundle code is documented with its status in exchange/README.md', async (t) => {
  for (const code of BUNDLE_ERROR_CODES) {
    t.match(doc, new RegExp(`\\| \`${code}\` \\| ${code === 'BUNDLE_TOO_LARGE' ? 413 : 422} \\|`), code);
  }
});

t.test('every cloud code is documented with its status in exchange/README.md', async (t) => {
  for (const code of CLOUD_ERROR_CODES) {
    t.match(doc, new RegExp(`\\| \`${code}\` \\| ${new CloudError(code, 'x').status} \\|`), code);
  }
});

t.test('every code the satellite adds for the exchange is documented with its status', async (t) => {
  const { ERROR_STATUS } = await import('../../../daemon/errors.ts');
  for (const code of ['EXCHANGE_BUSY', 'NOT_REGISTERED', 'EXCHANGE_NOT_CONFIGURED', 'CLOUD_UNREACHABLE', 'CLOUD_ERROR', 'CLOUD_TIMEOUT'] as const) {
    t.match(doc, new RegExp(`\\| \`${code}\` \\| ${ERROR_STATUS[code]} \\|`), code);
  }
  for (const code of BUNDLE_ERROR_CODES) t.equal(ERROR_STATUS[code], code === 'BUNDLE_TOO_LARGE' ? 413 : 422, `${code} has the same status on the admin API`);
});
