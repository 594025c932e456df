// The reference cloud's answer to RUM reports (SPEC §9): one stand-in acknowledgement document per
// product, `<smartLicense><smartLicenseRumAck><data>…`, whose `data` is base64 of the JSON
// `{"udi","reportIds"}` it covers (real ones come from Cisco, and their data is opaque).
import type { RumAckRecord, RumRecord } from '../bundle/index.ts';

export function standInAck(udi: { pid: string; sn: string }, reportIds: readonly string[]): string {
  const data = Buffer.from(JSON.stringify({ udi, reportIds })).toString('base64');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<smartLicense><smartLicenseRumAck><data>${data}</data></smartLicenseRumAck></smartLicense>\n`;
}

/** rum-acks.ndjson for the RUM reports of one satellite report: one record per product. */
export function rumAcksFor(reports: readonly RumRecord[]): RumAckRecord[] {
  const byUdi = new Map<string, { udi: { pid: string; sn: string }; ids: string[] }>();
  for (const r of reports) {
    const k = `${r.udi.pid}\u0000${r.udi.sn}`;
    const e = byUdi.get(k) ?? { udi: r.udi, ids: [] };
    e.ids.push(r.reportId);
    byUdi.set(k, e);
  }
  return [...byUdi.values()].map((e) => ({ udi: e.udi, reportIds: e.ids, ack: Buffer.from(standInAck(e.udi, e.ids)).toString('base64') }));
}
