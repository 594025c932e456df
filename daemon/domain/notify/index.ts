// Notifications (SPEC §10), the pure part: what goes out, to whom, in what words and format,
// and the outbox records that carry it. The senders (SMTP, syslog, webhooks) are in daemon/notify/.
export { eventMatches, matchesAny, EVENT_PATTERN } from './match.ts';
export { retryDelayMs, nextAttempt, FIRST_DELAY_MS, MAX_DELAY_MS, GIVE_UP_AFTER_MS } from './retry.ts';
export { eventSentence, SENTENCES, type EventForText } from './sentences.ts';
export { formatSyslog, octetCounted, sdValue, noControls, FACILITIES, type Facility, type SyslogOptions, type SyslogEvent } from './syslog-format.ts';
export {
  Outbox,
  CHANNELS,
  attemptFailed,
  delivered,
  deliveryView,
  putDelivery,
  wantsAlertEmail,
  type Channel,
  type Counter,
  type Delivery,
  type DeliveryState,
  type EventBody,
  type NotifyPlan,
  type Payload,
} from './outbox.ts';
export {
  admits,
  alertRecipients,
  summaryRecipients,
  emailAddress,
  prefsPatch,
  ALERT_LEVELS,
  DEFAULT_PREFS,
  type AlertLevel,
  type NotificationPrefs,
  type Recipient,
  type Reads,
} from './audience.ts';
export { buildSummary, shortages, ENDING_WITHIN_DAYS, SILENT_AFTER_DAYS, type Summary, type SummaryInput, type SummaryVa, type SummaryPool, type SummaryAlert } from './summary.ts';
export { renderAlertEmail, renderSummaryEmail, renderTestEmail, oneLine, escapeHtml, type RenderedEmail, type Names } from './email.ts';
