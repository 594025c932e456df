import type { Verb } from './verbs.ts';

interface Status {
  satellite: { id: string; name: string };
  registration: string;
  account: { id: string | null; name: string; domain: string | null; type: string };
  lastCloudContact: string | null;
  daysUntilLapse: number | null;
  devices: { registered: number; deregistered: number };
  reports: { total: number; unacknowledged: number };
  listeners: { device: string; admin: string };
}

export const status: Verb = {
  async run({ client, out }) {
    const s = await client.call<Status>('GET', '/api/status');
    out.result(s, (v) =>
      [
        `satellite      ${v.satellite.name} (${v.satellite.id})`,
        `registration   ${v.registration}${v.account.id ? ` to account ${v.account.name} (${v.account.id})` : ''}`,
        `account type   ${v.account.type}`,
        `cloud contact  ${v.lastCloudContact ?? 'never'}${v.daysUntilLapse !== null ? `, ${v.daysUntilLapse} days until lapse` : ''}`,
        `devices        ${v.devices.registered} registered, ${v.devices.deregistered} deregistered`,
        `reports        ${v.reports.total} stored, ${v.reports.unacknowledged} not yet acknowledged`,
        `listeners      device ${v.listeners.device}, admin ${v.listeners.admin}`,
      ].join('\n'),
    );
  },
};
