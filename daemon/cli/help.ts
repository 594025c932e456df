// `outpost VERB --help`: what each verb takes and does, in the words of the README's table.

export const HELP: Record<string, string> = {
  serve: `usage: outpost serve [--config FILE] [--data-dir DIR]
Runs the daemon: the device listener, the admin listener (dashboard and API) and the control
socket. Stops on SIGTERM or SIGINT. The config also comes from OUTPOST_CONFIG, the data dir from
OUTPOST_DATA_DIR.`,
  status: `usage: outpost status [--json]
Registration state, last cloud contact, days until lapse, device and report counts, listeners.`,
  account: `usage: outpost account [--json]
The Smart Account: name, id, domain, type, registration and last cloud contact.`,
  licenses: `usage: outpost licenses [--va PATH|all] [--nested] [--json]
License pools, one row per virtual account and entitlement: purchased, reserved, in use,
available, status. --va PATH: that VA's pools (--nested: and those below it); --va all: one row
per entitlement summed over the whole account.`,
  devices: `usage: outpost devices [--va PATH] [--nested] [--q TEXT] [--state registered|deregistered] [--limit N] [--json]
Product instances: PID, serial, hostname, VA, state, last report. --q matches a hostname, PID or
serial number (any part, any case).`,
  alerts: `usage: outpost alerts [--va PATH] [--nested] [--json]
The standing alerts (insufficient licenses, expiring lines, sync overdue, lapse), most severe first.`,
  events: `usage: outpost events [--since WHEN] [--until WHEN] [--type TYPE] [--va PATH] [--limit N] [--json]
The audit log, newest first; without --since or --limit the last 50. WHEN is a date
(2026-12-01), a time (2026-12-01T08:00:00Z) or how long ago (30m, 24h, 7d). TYPE: event types
separated by commas, "user.*" for a family.`,
  token: `usage: outpost token create --va PATH [--days N] [--uses N] [--description TEXT]
       outpost token list
       outpost token revoke ID
Registration tokens: create prints the new token's secret, shown this once (--days 1 to 365,
default 30; --uses 1 to 1000000, default unlimited).`,
  user: `usage: outpost user add USERNAME --role ROLE [--va PATH] [--password-file FILE]
       outpost user list
       outpost user passwd USERNAME [--password-file FILE]
Passwords come from a prompt, --password-file, or the first line of standard input.`,
  register: `usage: outpost register --token T
       outpost register --token T --offline --out FILE
Registers the satellite with the cloud over the network, or writes the registration request
bundle to carry to it (air-gapped).`,
  time: `usage: outpost time show
       outpost time confirm [--undo]
show: the clock, the store's high-water mark of time, and whether clock-suspect stands.
confirm: the clock is right now: clears clock-suspect and sets the mark to it. --undo also
reinstates the devices (and the registration) the lapse or the silent-device rule deregistered
while clock-suspect stood.`,
  export: `usage: outpost export --out FILE
Writes the next satellite-report bundle to carry to the cloud (air-gapped).`,
  import: `usage: outpost import FILE
Applies a cloud response or registration response; says what changed, or why it was refused.`,
  sync: `usage: outpost sync
Runs a network sync with the cloud now.`,
  backup: `usage: outpost backup --out DIR
A consistent copy of the database and the satellite key into a new directory, taken while the
daemon keeps serving; start a daemon with it as data dir to restore.`,
};

HELP.restore = `usage: outpost restore --from DIR [--data-dir DIR]
Puts a backup (from "outpost backup" or a scheduled one) in place as the data dir of a stopped
Outpost; a running one is refused. A database already there is moved aside to
<dataDir>/replaced-<time>/. Then start Outpost.`;

export const COMMON = 'options for every verb: --config FILE, --data-dir DIR, --json';

/** The help of `verb` (a subverb's is its verb's), or undefined for an unknown verb. */
export const helpOf = (verb: string): string | undefined => (Object.hasOwn(HELP, verb) ? `${HELP[verb]}\n\n${COMMON}` : undefined);
