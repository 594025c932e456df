// `outpost export --out FILE`: writes the next satellite report for the cloud (air-gapped).
import { saveBundle, requireOut } from './bundle-file.ts';
import { CliError } from './output.ts';
import type { Verb } from './verbs.ts';

export const exportVerb: Verb = {
  options: { out: { type: 'string' } },
  async run({ client, out, values, positionals }) {
    const target = requireOut(values, 'usage: outpost export --out FILE');
    if (positionals.length > 0) throw new CliError('INVALID_REQUEST', 'usage: outpost export --out FILE');
    const { headers, body } = await client.download('POST', '/api/sync/export');
    const file = await saveBundle(body, target);
    const result = {
      file,
      sequence: Number(headers['x-outpost-sequence']),
      records: Number(headers['x-outpost-records']),
      more: headers['x-outpost-more'] === 'true',
    };
    out.result(result, (v) =>
      [
        `satellite report ${v.sequence} written to ${v.file} (${v.records} ${v.records === 1 ? 'record' : 'records'})`,
        v.more ? 'more is waiting: import the response to this one, then export again' : 'it carries everything not yet acknowledged',
      ].join('\n'),
    );
  },
};
