// `outpost register --token T` registers over the network; with `--offline --out FILE` it writes
// the registration request to carry to the cloud, whose answer `outpost import` applies.
import { saveBundle, requireOut } from './bundle-file.ts';
import { CliError } from './output.ts';
import type { Verb } from './verbs.ts';

const USAGE = 'usage: outpost register --token T [--offline --out FILE]';

interface Registered {
  registration: string;
  account: { id: string; name: string; domain: string | null; type: string };
}

export const register: Verb = {
  options: { token: { type: 'string' }, offline: { type: 'boolean', default: false }, out: { type: 'string' } },
  async run({ client, out, values, positionals }) {
    if (typeof values.token !== 'string' || values.token === '' || positionals.length > 0) throw new CliError('INVALID_REQUEST', USAGE);
    if (values.offline) {
      const target = requireOut(values, USAGE);
      const { body } = await client.download('POST', '/api/registration', { token: values.token, offline: true });
      const file = await saveBundle(body, target);
      out.result({ file }, (v) => `registration request written to ${v.file}\ncarry it to the cloud, then run "outpost import" on the cloud's response`);
      return;
    }
    if (values.out !== undefined) throw new CliError('INVALID_REQUEST', '--out goes with --offline; ' + USAGE);
    const r = await client.call<Registered>('POST', '/api/registration', { token: values.token });
    out.result(r, (v) => `registered to account ${v.account.name} (${v.account.id}, ${v.account.type}${v.account.domain ? `, ${v.account.domain}` : ''})`);
  },
};
