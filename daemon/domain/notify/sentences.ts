// One plain sentence per event type (SPEC §10): the syslog message and the line an email or a
// log viewer shows. docs/events.md lists them beside the event types; a test keeps them in step.

/** What a sentence may use: the event with its VA as a path. */
export interface EventForText {
  type: string;
  actor: string;
  vaPath: string | null;
  details: Record<string, unknown>;
}

type Sentence = (e: EventForText, d: (key: string) => string) => string;

/** A device's `udi` detail as `PID SN`, or `a device`. */
const udi = (e: EventForText): string => {
  const u = e.details.udi as { pid?: unknown; sn?: unknown } | undefined;
  return u && typeof u.pid === 'string' && typeof u.sn === 'string' ? `${u.pid} ${u.sn}` : '';
};

const inVa = (e: EventForText): string => (e.vaPath === null ? '' : ` in ${e.vaPath}`);

/** The sentence for each event type the satellite writes. */
export const SENTENCES: Record<string, Sentence> = {
  'account.updated': (e) => `${e.actor} updated the account properties.`,
  'tag.created': (e, d) => `${e.actor} added the tag key ${d('key')}.`,
  'tag.deleted': (e, d) => `${e.actor} removed the tag key ${d('key')}.`,
  'virtual-account.created': (e, d) => `${e.actor} created the virtual account ${d('path')}.`,
  'virtual-account.updated': (e) => `${e.actor} changed the virtual account ${e.vaPath ?? ''}.`,
  'virtual-account.deleted': (e, d) => `${e.actor} deleted the virtual account ${d('path')}.`,
  'token.created': (e) => `${e.actor} created a registration token${inVa(e)}.`,
  'token.revoked': (e) => `${e.actor} revoked a registration token${inVa(e)}.`,
  'device.registered': (e, d) => `Device ${udi(e)} registered${inVa(e)}.`,
  'device.reregistered': (e, d) => `Device ${udi(e)} registered again${inVa(e)}.`,
  'device.deregistered': (e) => `A device was deregistered${inVa(e)}.`,
  'device.moved': (e) => `${e.actor} moved a device to ${e.vaPath ?? 'another virtual account'}.`,
  'device.revoked': (e) => `${e.actor} revoked a device${inVa(e)}.`,
  'device.reinstated': (e) => `${e.actor} reinstated a device${inVa(e)}.`,
  'device.key_reset': (e) => `${e.actor} reset a device's key${inVa(e)}.`,
  'device.key_pinned': (e) => `A device's key was pinned${inVa(e)}.`,
  'license.line_added': (e, d) => `License line ${d('lineId')} was added.`,
  'license.line_changed': (e, d) => `License line ${d('lineId')} changed.`,
  'license.line_removed': (e, d) => `License line ${d('lineId')} was removed.`,
  'license.transferred': (e, d) => `${e.actor} transferred ${d('quantity')} of ${d('entitlement')}.`,
  'license.reserved': (e) => `${e.actor} reserved licenses${inVa(e)}.`,
  'license.reservation_returned': (e) => `${e.actor} returned a reservation${inVa(e)}.`,
  'user.created': (e, d) => `${e.actor} created the user ${d('username')}.`,
  'user.updated': (e, d) => `${e.actor} changed the user ${d('username')}.`,
  'user.deleted': (e, d) => `${e.actor} deleted the user ${d('username')}.`,
  'user.password_changed': (e, d) => `The password of ${d('username') || e.actor} was changed.`,
  'user.login': (e) => `${e.actor} signed in.`,
  'user.logout': (e) => `${e.actor} signed out.`,
  'user.login_failed': (e) => `A sign-in as ${e.actor} failed.`,
  'user.sessions_ended': (e, d) => `${e.actor} signed ${d('username')} out everywhere.`,
  'user.session_expired': (e, d) => `A session of ${d('username') || 'a deleted user'} expired.`,
  'satellite.registration_requested': () => `A registration with the cloud was requested.`,
  'satellite.registered': () => `The satellite registered with the cloud.`,
  'satellite.lapsed': () => `The satellite's registration lapsed; every device was deregistered.`,
  'satellite.reinstated': (e) => `${e.actor} undid a lapse that came while the clock was suspect.`,
  'clock.suspect': (e, d) => `The system clock looks wrong: ${d('reason')}.`,
  'clock.confirmed': (e, d) => `${e.actor} confirmed the system clock${d('undo') === 'true' ? ` and reinstated ${d('reinstated')} device(s)` : ''}.`,
  'exchange.exported': () => `A satellite report was exported for the cloud.`,
  'exchange.applied': () => `A cloud bundle was applied.`,
  'retention.pruned': () => `Old acknowledged reports and events were pruned.`,
  'alert.raised': (e, d) => `Alert raised (${d('severity')}): ${d('message')}`,
  'alert.changed': (e, d) => `Alert now ${d('severity')}: ${d('message')}`,
  'alert.cleared': (e, d) => `Alert cleared: ${d('message')}`,
  'notify.test': (e) => `${e.actor} sent a test notification.`,
};

/** The event's sentence; a type without one gets a generic sentence naming it. */
export function eventSentence(e: EventForText): string {
  const d = (key: string): string => {
    const v = e.details[key];
    return v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  };
  const s = SENTENCES[e.type];
  return (s ? s(e, d) : `${e.actor}: ${e.type}${inVa(e)}.`).replace(/\s+\./g, '.');
}
