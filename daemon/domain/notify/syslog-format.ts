// RFC 5424 messages for events (SPEC §10). Hand-written: the format is one line of a few
// fields, and no maintained npm library writes RFC 5424 structured data with the escaping the
// RFC asks for; the transports (UDP, TCP with octet counting, TLS) live in daemon/notify/.
import { eventSentence, type EventForText } from './sentences.ts';

export const FACILITIES = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9,
  authpriv: 10, ftp: 11, local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21,
  local6: 22, local7: 23,
} as const;
export type Facility = keyof typeof FACILITIES;

/** RFC 5424 severities used: an alert's severity for `alert.*` events, else informational. */
const SEVERITY: Record<string, number> = { critical: 2, warning: 4, info: 6 };
const INFORMATIONAL = 6;

export interface SyslogOptions {
  facility: Facility;
  appName: string;
  enterpriseId: number;
  /** The sending host's name (FQDN or name); `-` when unknown. */
  hostname: string;
  procId: string;
}

export interface SyslogEvent extends EventForText {
  id: string;
  at: string;
}

/** Control characters (C0, DEL, C1) become spaces: a message is one line whatever the event holds. */
export const noControls = (s: string): string => s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');

/** PARAM-VALUE escaping (RFC 5424 §6.3.3): `"`, `\` and `]` take a backslash. */
export const sdValue = (s: string): string => noControls(s).replace(/["\\\]]/g, (c) => `\\${c}`);

/** A header field: printable US-ASCII without spaces, at most `max` characters, `-` when empty. */
const headerField = (s: string, max: number): string => {
  const clean = s.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return clean === '' ? '-' : clean;
};

/** The event as one RFC 5424 message (without transport framing). */
export function formatSyslog(e: SyslogEvent, o: SyslogOptions): string {
  const sev = e.type.startsWith('alert.') ? (SEVERITY[String(e.details.severity)] ?? INFORMATIONAL) : INFORMATIONAL;
  const pri = FACILITIES[o.facility] * 8 + sev;
  const sd =
    `[outpost@${o.enterpriseId} actor="${sdValue(e.actor)}" va="${sdValue(e.vaPath ?? '')}" id="${sdValue(e.id)}"]`;
  const header = [
    `<${pri}>1`,
    new Date(e.at).toISOString(),
    headerField(o.hostname, 255),
    headerField(o.appName, 48),
    headerField(o.procId, 128),
    headerField(e.type, 32),
  ].join(' ');
  return `${header} ${sd} ${noControls(eventSentence(e))}`;
}

/** RFC 6587 octet counting: the message's length in bytes, a space, the message. */
export function octetCounted(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}
