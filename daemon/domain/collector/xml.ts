// Cisco's own files (SPEC §9): the RUM usage file a product writes with `license smart save usage`
// (`<smartLicense>` holding one `<RUMReport>` CDATA per report object) and the acknowledgement
// document that comes back (`<smartLicense><smartLicenseRumAck><data>…`). XML from outside is read
// with no DOCTYPE and no entities: a document declaring either is refused before parsing.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** Wraps text in CDATA; a `]]>` inside is split across two sections so it survives. */
export function cdata(text: string): string {
  return `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

/** The usage file for these report objects (each the JSON text of one report object as collected). */
export function rumUsageXml(reports: readonly string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<smartLicense>${reports.map((r) => `<RUMReport>${cdata(r)}</RUMReport>`).join('')}</smartLicense>\n`;
}

export class BadXml extends Error {
  override readonly name = 'BadXml';
}

function checkedParse(xml: string): Record<string, unknown> {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new BadXml('The document declares a DOCTYPE or entities, which are not accepted.');
  const valid = XMLValidator.validate(xml, { allowBooleanAttributes: false });
  if (valid !== true) throw new BadXml(`The document is not well-formed XML (line ${valid.err.line}).`);
  const parser = new XMLParser({
    ignoreAttributes: true,
    processEntities: false,
    htmlEntities: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    parseTagValue: false,
    trimValues: false,
    cdataPropName: '#cdata',
    isArray: (name) => name === 'RUMReport' || name === 'smartLicenseRumAck' || name === 'smartLicensePolicy',
  });
  const doc = parser.parse(xml) as Record<string, unknown>;
  if (typeof doc !== 'object' || doc === null) throw new BadXml('The document is empty.');
  return doc;
}

/** The report objects' JSON texts of a usage file, in order. */
export function parseRumUsageXml(xml: string): string[] {
  const doc = checkedParse(xml);
  const root = doc.smartLicense as Record<string, unknown> | undefined;
  if (!root || typeof root !== 'object') throw new BadXml('The root element is not <smartLicense>.');
  const items = (root.RUMReport ?? []) as unknown[];
  return items.map((item) => {
    const parts = (item as Record<string, unknown>)['#cdata'];
    return Array.isArray(parts) ? parts.join('') : String(parts ?? '');
  });
}

/**
 * Checks an acknowledgement document: well-formed XML without DOCTYPE or entities, root
 * `<smartLicense>` holding a `<smartLicenseRumAck>` (a policy beside it is allowed). Returns the
 * stand-in's report ids when its `<data>` is the reference cloud's (base64 JSON naming them), else null.
 */
export function checkAckDocument(xml: string): { reportIds: string[] | null } {
  const doc = checkedParse(xml);
  const root = doc.smartLicense as Record<string, unknown> | undefined;
  if (!root || typeof root !== 'object') throw new BadXml('The root element is not <smartLicense>.');
  const acks = root.smartLicenseRumAck as Array<Record<string, unknown>> | undefined;
  if (!acks?.length) throw new BadXml('The document holds no <smartLicenseRumAck>.');
  const data = acks[0]!.data;
  if (typeof data === 'string' && /^[A-Za-z0-9+/=\s]+$/.test(data)) {
    try {
      const v = JSON.parse(atob(data.replace(/\s+/g, ''))) as { reportIds?: unknown };
      if (Array.isArray(v.reportIds) && v.reportIds.every((x) => typeof x === 'string' && /^\d{1,40}$/.test(x))) return { reportIds: v.reportIds as string[] };
    } catch { /* a real acknowledgement's data is opaque */ }
  }
  return { reportIds: null };
}
