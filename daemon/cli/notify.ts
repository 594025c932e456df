// `outpost notify deliveries|test`: the notification outbox through the control socket (SPEC §10).
import { CliError } from './output.ts';
import type { Verb } from './verbs.ts';

interface DeliveryView {
  id: string;
  channel: string;
  target: string | null;
  kind: string;
  eventType: string | null;
  state: string;
  attempts: number;
  queuedAt: string;
  lastError: string | null;
}

export const notifyDeliveries: Verb = {
  options: { limit: { type: 'string' } },
  async run({ client, out, values }) {
    const limit = typeof values.limit === 'string' ? values.limit : '50';
    const page = await client.call<{ items: DeliveryView[]; next: string | null }>('GET', `/api/notifications/deliveries?limit=${encodeURIComponent(limit)}`);
    out.result(page, (v) =>
      v.items
        .map((d) => `${d.queuedAt}  ${d.id}  ${d.channel}${d.target ? ` ${d.target}` : ''}  ${d.eventType ?? d.kind}  ${d.state} (${d.attempts})${d.lastError ? `  ${d.lastError}` : ''}`)
        .join('\n'),
    );
  },
};

export const notifyTest: Verb = {
  options: { to: { type: 'string' } },
  async run({ client, out, values, positionals }) {
    const channel = positionals[0];
    if (positionals.length !== 1 || !['email', 'syslog', 'webhook'].includes(channel ?? '')) {
      throw new CliError('INVALID_REQUEST', 'usage: outpost notify test email|syslog|webhook [--to ADDRESS]');
    }
    const body: Record<string, string> = { channel: channel! };
    if (typeof values.to === 'string') body.to = values.to;
    const res = await client.call<{ items: DeliveryView[] }>('POST', '/api/notifications/test', body);
    out.result(res, (v) => v.items.map((d) => `queued ${d.id} on ${d.channel}${d.target ? ` ${d.target}` : ''}; see outpost notify deliveries`).join('\n'));
  },
};
