// The alert and summary emails (SPEC §10): plain text and a small single-column HTML body that
// reads on a phone. Subjects name the account and the satellite; every piece of text that came
// from outside is made one line (no header injection) and HTML-escaped in the HTML part.
import { noControls } from './syslog-format.ts';
import { shortages, type Summary } from './summary.ts';
import type { EventBody } from './outbox.ts';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface Names {
  account: string;
  satellite: string;
}

/** One line, at most `max` characters: what a header may carry. */
export const oneLine = (s: string, max = 200): string => noControls(s).replace(/\s+/g, ' ').trim().slice(0, max);

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const page = (title: string, body: string): string =>
  `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
  `<title>${escapeHtml(title)}</title></head>` +
  `<body style="margin:0;padding:12px;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:15px;line-height:1.4;color:#1b1b1b">` +
  `<div style="max-width:600px;margin:0 auto">${body}</div></body></html>`;

const SEVERITY_COLOUR: Record<string, string> = { critical: '#b00020', warning: '#a15c00', info: '#1f5fa8' };

/** The email for an alert raised or rising in severity. */
export function renderAlertEmail(names: Names, event: EventBody): RenderedEmail {
  const d = event.details;
  const severity = oneLine(String(d.severity ?? 'info'), 20);
  const message = oneLine(String(d.message ?? d.alert ?? event.type), 500);
  const va = event.virtualAccount?.path ?? 'the whole satellite';
  const raised = event.type === 'alert.raised';
  const subject = oneLine(`[${names.account} / ${names.satellite}] ${severity}: ${message}`, 200);
  const facts: Array<[string, string]> = [
    ['Alert', oneLine(String(d.alert ?? ''), 100)],
    ['Severity', raised ? severity : `${severity} (was ${oneLine(String(d.previousSeverity ?? ''), 20)})`],
    ['Virtual account', oneLine(va, 300)],
    ...(d.entitlement ? ([['Entitlement', oneLine(String(d.entitlement), 200)]] as Array<[string, string]>) : []),
    ['At', event.at],
  ];
  const text =
    `${raised ? 'An alert was raised' : 'An alert became more severe'} on ${oneLine(names.satellite)} (${oneLine(names.account)}).\n\n` +
    `${message}\n\n` +
    facts.map(([k, v]) => `${k}: ${v}`).join('\n') +
    `\n\nYou receive this because your notification settings ask for ${severity} alerts.\n`;
  const html = page(
    subject,
    `<p style="margin:0 0 8px;font-weight:600;color:${SEVERITY_COLOUR[severity] ?? '#1b1b1b'}">${escapeHtml(severity.toUpperCase())}</p>` +
      `<h1 style="font-size:18px;margin:0 0 12px">${escapeHtml(message)}</h1>` +
      `<table style="border-collapse:collapse;width:100%">` +
      facts.map(([k, v]) => `<tr><td style="padding:4px 8px 4px 0;color:#555;vertical-align:top">${escapeHtml(k)}</td><td style="padding:4px 0;word-break:break-word">${escapeHtml(v)}</td></tr>`).join('') +
      `</table><p style="color:#555;font-size:13px">${escapeHtml(oneLine(names.satellite))} · ${escapeHtml(oneLine(names.account))}</p>`,
  );
  return { subject, text, html };
}

/** The summary email for one reader's summary. */
export function renderSummaryEmail(names: Names, s: Summary): RenderedEmail {
  const subject = oneLine(`[${names.account} / ${names.satellite}] Summary ${s.generatedAt.slice(0, 10)}`, 200);
  const short = shortages(s);
  const lapse = s.daysUntilLapse === null ? s.registration : `${s.registration}, ${s.daysUntilLapse} days until lapse`;
  const sync = s.sync as { lastSuccess?: string | null; lastError?: string | null };
  const lines: string[] = [
    `Summary of ${oneLine(names.satellite)} (${oneLine(names.account)}), ${s.generatedAt}`,
    '',
    `Registration: ${oneLine(lapse)}`,
    `Last cloud contact: ${s.lastCloudContact ?? 'never'}`,
    `Last sync: ${sync.lastSuccess ?? 'never'}${sync.lastError ? ` (last error: ${oneLine(String(sync.lastError), 200)})` : ''}`,
    '',
    `Open alerts: ${s.alerts.length}`,
    ...s.alerts.map((a) => `- ${a.severity}: ${oneLine(a.message, 300)}`),
    '',
    `Shortages: ${short.length}`,
    ...short.map((p) => `- ${oneLine(p.path)}: ${oneLine(p.entitlement)} ${p.available}`),
  ];
  for (const va of s.virtualAccounts) {
    lines.push('', `== ${oneLine(va.path, 300)} ==`);
    for (const p of va.pools) lines.push(`${oneLine(p.entitlement)}: purchased ${p.purchased}, in use ${p.inUse}, available ${p.available}${p.status === 'insufficient' ? ' (SHORT)' : ''}`);
    for (const l of va.endingWithin90Days) lines.push(`Ends ${l.endsAt.slice(0, 10)}: ${oneLine(l.sku)} ${oneLine(l.entitlement)} x${l.quantity}`);
    if (va.silentDevices > 0) lines.push(`Devices silent 30 days or more: ${va.silentDevices}`);
  }
  const cell = 'padding:3px 6px;border-bottom:1px solid #ddd;text-align:right';
  const vaHtml = s.virtualAccounts
    .map(
      (va) =>
        `<h2 style="font-size:16px;margin:16px 0 6px;word-break:break-word">${escapeHtml(va.path)}</h2>` +
        (va.pools.length === 0
          ? '<p style="margin:0;color:#555">No pools.</p>'
          : `<table style="border-collapse:collapse;width:100%;font-size:14px"><tr><th style="${cell};text-align:left">Entitlement</th><th style="${cell}">Bought</th><th style="${cell}">In use</th><th style="${cell}">Free</th></tr>` +
            va.pools
              .map(
                (p) =>
                  `<tr${p.status === 'insufficient' ? ' style="color:#b00020;font-weight:600"' : ''}><td style="${cell};text-align:left;word-break:break-word">${escapeHtml(p.entitlement)}</td><td style="${cell}">${p.purchased}</td><td style="${cell}">${p.inUse}</td><td style="${cell}">${p.available}</td></tr>`,
              )
              .join('') +
            '</table>') +
        (va.endingWithin90Days.length > 0
          ? `<p style="margin:6px 0 0">Ending within 90 days:</p><ul style="margin:2px 0;padding-left:18px">${va.endingWithin90Days.map((l) => `<li>${escapeHtml(l.endsAt.slice(0, 10))}: ${escapeHtml(l.sku)} ${escapeHtml(l.entitlement)} ×${l.quantity}</li>`).join('')}</ul>`
          : '') +
        (va.silentDevices > 0 ? `<p style="margin:6px 0 0">Devices silent 30 days or more: ${va.silentDevices}</p>` : ''),
    )
    .join('');
  const html = page(
    subject,
    `<h1 style="font-size:18px;margin:0 0 8px">${escapeHtml(oneLine(names.satellite))} — summary</h1>` +
      `<p style="margin:0 0 4px">Registration: ${escapeHtml(lapse)}</p>` +
      `<p style="margin:0 0 4px">Last cloud contact: ${escapeHtml(s.lastCloudContact ?? 'never')}</p>` +
      `<p style="margin:0 0 12px">Open alerts: ${s.alerts.length} · shortages: ${short.length}</p>` +
      (s.alerts.length > 0
        ? `<ul style="margin:0;padding-left:18px">${s.alerts.map((a) => `<li><b style="color:${SEVERITY_COLOUR[a.severity] ?? '#1b1b1b'}">${escapeHtml(a.severity)}</b> ${escapeHtml(a.message)}</li>`).join('')}</ul>`
        : '') +
      vaHtml,
  );
  return { subject, text: `${lines.join('\n')}\n`, html };
}

/** The test email. */
export function renderTestEmail(names: Names, by: string): RenderedEmail {
  const subject = oneLine(`[${names.account} / ${names.satellite}] Test notification`);
  const text = `This is a test notification from ${oneLine(names.satellite)} (${oneLine(names.account)}), sent by ${oneLine(by)}.\n`;
  return { subject, text, html: page(subject, `<p>${escapeHtml(text.trim())}</p>`) };
}
