// `outpost <verb> …`: the one place that exits the process with a code.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig, socketPathOf, type FrozenConfig } from '../config/index.ts';
import { ControlClient } from './client.ts';
import { helpOf } from './help.ts';
import { CliError, makeOut, printError, type Out } from './output.ts';
import { VERBS, type VerbContext } from './verbs.ts';

const GLOBAL_OPTIONS = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

const USAGE = `usage: outpost <verb> [options]

  serve                                  run the daemon
  status                                 registration, last cloud contact, counts, listeners
  account                                the Smart Account and its registration
  licenses [--va PATH|all] [--nested]    license pools: purchased, in use, available
  devices [--va PATH] [--q TEXT] [--state S] [--limit N]
                                         product instances and their last report
  alerts [--va PATH]                     the standing alerts, most severe first
  events [--since WHEN] [--type T] [--va PATH] [--limit N]
                                         the audit log, newest first
  token create --va PATH [--days N] [--uses N] [--description TEXT]
  token list | token revoke ID
  api-token create --user USERNAME --name NAME --roles ROLE[@VA][,…] --days N
                                         an API token acting for USERNAME, within its rights
  api-token list | api-token revoke ID
  user add USERNAME --role ROLE [--va PATH] [--password-file FILE]
  user list | user passwd USERNAME [--password-file FILE]
                                         passwords from a prompt, --password-file, or stdin's first line
  user set USERNAME [--email ADDRESS|none] [--alerts off|critical|warning|info] [--summary on|off]
  notify deliveries [--limit N] | notify test email|syslog|webhook [--to ADDRESS]
  register --token T                     register with the cloud over the network
  register --token T --offline --out FILE  write a registration request (air-gapped)
  export --out FILE                      write the next satellite report (air-gapped)
  import FILE                            apply a cloud response or registration response
  sync                                   run a network sync now
  time show | time confirm [--undo]      the clock against the store's high-water mark; confirm it is
                                         right (clears clock-suspect; --undo reinstates what the time
                                         rules deregistered while it stood)
  backup --out DIR                       a consistent copy of the database and the key
  target add https://HOST[:PORT] --username U [--va PATH] [--password-file FILE] [--ca PEMFILE] [--pin SHA256] [--insecure]
  target list | target remove ID         Cisco products the collector polls
  target import FILE.csv                 add targets in bulk (columns address,username,password[,va,ca,pin,verify])
  collect [--target ID]...               poll now (all targets without --target)
  rum export --out FILE                  unacknowledged RUM reports as Cisco's usage file (XML)
  rum import-ack FILE [--export N]       an acknowledgement (XML or .tar.gz) for the products of a RUM export
  restore --from DIR                     put a backup in place as the data dir (daemon stopped)
  quarantine list | quarantine remove REPORT_ID
                                         reports an export set aside (the bundle refuses them)

  --version                              print the version and the store format

options for every verb: --config FILE, --data-dir DIR, --json; "outpost VERB --help" for one verb`;

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    const [verb, ...rest] = argv;
    if (verb === '--version' || verb === '-V' || verb === 'version') {
      const { VERSION } = await import('../version.ts');
      const { STORE_FORMAT } = await import('../store/format.ts');
      process.stdout.write(json ? JSON.stringify({ version: VERSION, storeFormat: STORE_FORMAT }) + '\n' : `outpost ${VERSION} (store format ${STORE_FORMAT})\n`);
      return 0;
    }
    if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
      process.stdout.write(USAGE + '\n');
      return verb ? 0 : 2;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      const help = helpOf(verb);
      if (!help) throw new CliError('INVALID_REQUEST', `unknown verb "${verb}"; see "outpost --help"`);
      process.stdout.write(help + '\n');
      return 0;
    }
    // The daemon's modules load only for `serve`, so the other verbs start fast.
    if (verb === 'serve') return await (await import('./serve.ts')).serve(rest);
    const spec = VERBS[verb];
    if (!spec) throw new CliError('INVALID_REQUEST', `unknown verb "${verb}"; see "outpost --help"`);
    const sub = spec.subverbs ? rest[0] : undefined;
    const handler = spec.subverbs ? spec.subverbs[sub ?? ''] : spec;
    if (!handler) throw new CliError('INVALID_REQUEST', `usage: outpost ${verb} ${Object.keys(spec.subverbs!).join('|')} …; see "outpost ${verb} --help"`);
    let parsed;
    try {
      parsed = parseArgs({
        args: spec.subverbs ? rest.slice(1) : rest,
        options: { ...GLOBAL_OPTIONS, ...(handler.options ?? {}) },
        allowPositionals: true,
        strict: true,
      });
    } catch (err) {
      throw new CliError('INVALID_REQUEST', argumentError(err as Error & { code?: string }, spec.subverbs ? `${verb} ${sub}` : verb));
    }
    const values = parsed.values as Record<string, string | boolean | undefined>;
    const config = cliConfig(values);
    const client = new ControlClient(socketPathOf(config));
    const out: Out = makeOut(json);
    const vctx: VerbContext = { client, out, values, positionals: parsed.positionals, config };
    try {
      await handler.run(vctx);
    } finally {
      await client.close();
    }
    return 0;
  } catch (err) {
    printError(err, json);
    return 1;
  }
}

/** node:util parseArgs's messages, in the command line's words. */
function argumentError(err: Error & { code?: string }, verb: string): string {
  const option = /'(-[^' ]+)/.exec(err.message)?.[1];
  const see = `; see "outpost ${verb.split(' ')[0]} --help"`;
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `outpost ${verb} takes no option ${option}${see}`;
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    return /argument missing|ambiguous/.test(err.message) ? `${option} needs a value${see}` : `${option} takes no value${see}`;
  }
  if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `outpost ${verb} takes no arguments here${see}`;
  return err.message + see;
}

function cliConfig(values: Record<string, unknown>): FrozenConfig {
  try {
    return loadConfig({
      file: (values.config as string | undefined) ?? null,
      overrides: values['data-dir'] ? { dataDir: values['data-dir'] } : {},
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError('INVALID_CONFIG', err.message);
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
