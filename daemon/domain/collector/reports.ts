// Reading a product's all-reports answer (SPEC §9 "Reports"): `usage` as one report object or an
// array of them, each identified by the product's UDI and its report_id kept as decimal digits
// (ids can exceed 2^53, so the answer is parsed losslessly), its `payload` string kept exactly as
// received. A malformed report is skipped with a reason; the rest of the answer is still taken.
import { isLosslessNumber, parse, stringify } from 'lossless-json';

/** One ENTITLEMENT measurement's worth of usage: what the report says for its tag. */
export interface ReportUsage {
  /** `meta.entitlement_tag`. */
  tag: string;
  /** The count of the ENTITLEMENT measurement with the greatest end_time, 0–1,000,000. */
  count: number;
  /** That measurement's end_time, Unix seconds. */
  endTime: number;
}

export interface CollectedReport {
  udi: { pid: string; sn: string };
  /** The report id as its decimal digits. */
  reportId: string;
  /** The `payload` string exactly as received. */
  payload: string;
  /**
   * The report object as collected, as JSON text. The outer object's whitespace does not matter to
   * the cloud (COLLECTOR-NOTES §2); its `payload` string value is the received one, unchanged.
   */
  report: string;
  /** null for a report without an entitlement tag or without an ENTITLEMENT measurement (telemetry). */
  usage: ReportUsage | null;
}

export interface SkippedReport {
  /** Position in `usage`. */
  index: number;
  reason: string;
}

export interface ParsedAnswer {
  reports: CollectedReport[];
  skipped: SkippedReport[];
}

/** The answer as a whole is not what the API gives: COLLECTOR_BAD_ANSWER, nothing taken. */
export class BadAnswer extends Error {
  override readonly name = 'BadAnswer';
}

export const MAX_COUNT = 1_000_000;
const DIGITS = /^[0-9]{1,40}$/;

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v) && !isLosslessNumber(v);

/** Parses JSON keeping every number as its digits (a LosslessNumber). Throws on malformed text. */
function parseLossless(text: string): Json {
  return parse(text);
}

/**
 * The same result for text without numbers (an answer's outer objects carry none: the payload is a
 * string), at the speed of the native parser; text with a number goes through the lossless one.
 */
function parseOuter(text: string): { value: Json; lossless: boolean } {
  let numbers = false;
  const value = JSON.parse(text, (_k, v: unknown) => {
    if (typeof v === 'number') numbers = true;
    return v;
  }) as Json;
  return numbers ? { value: parseLossless(text), lossless: true } : { value, lossless: false };
}

/** The digits of an integer written as a JSON number or a string of digits, else null. */
export function integerDigits(v: Json): string | null {
  const s = isLosslessNumber(v) ? v.value : typeof v === 'string' ? v : null;
  if (s === null || !DIGITS.test(s)) return null;
  return s.replace(/^0+(?=\d)/, '');
}

function seconds(v: Json): number | null {
  const d = integerDigits(v);
  if (d === null || d.length > 15) return null;
  return Number(d);
}

function sudiOf(v: Json): { pid: string; sn: string } | null {
  if (!isObject(v)) return null;
  const pid = v.udi_pid;
  const sn = v.udi_serial_number;
  if (typeof pid !== 'string' || typeof sn !== 'string') return null;
  if (!/^[\x21-\x7e]{1,64}$/.test(pid) || !/^[\x21-\x7e]{1,64}$/.test(sn)) return null;
  return { pid, sn };
}

/** Reads one report object; a string says why it is skipped. */
export function readReport(obj: Json, lossless = true): CollectedReport | string {
  if (!isObject(obj)) return 'the report is not an object';
  const payload = obj.payload;
  if (typeof payload !== 'string') return 'the report has no payload string';
  let body: Json;
  try {
    body = parseLossless(payload);
  } catch {
    return 'the payload is not JSON';
  }
  if (!isObject(body)) return 'the payload is not a JSON object';
  const asset = isObject(body.asset_identification) ? body.asset_identification : {};
  const meta = isObject(body.meta) ? body.meta : {};
  const instance = isObject(asset.instance) ? asset.instance : {};
  const outerSig = isObject(obj.signature) ? obj.signature : {};
  const udi = sudiOf(instance.sudi) ?? sudiOf(outerSig.sudi);
  if (!udi) return 'the report names no UDI (sudi)';
  const rawId = asset.report_id ?? meta.report_id;
  const reportId = integerDigits(rawId);
  if (reportId === null) return 'the report has no report_id of decimal digits';
  const tagValue = meta.entitlement_tag;
  if (tagValue !== undefined && (typeof tagValue !== 'string' || tagValue.length === 0 || tagValue.length > 512)) {
    return 'meta.entitlement_tag is not a string';
  }
  const measurements = body.measurements ?? [];
  if (!Array.isArray(measurements)) return 'measurements is not an array';
  let best: { count: number; endTime: number } | null = null;
  for (const m of measurements) {
    if (!isObject(m)) return 'a measurement is not an object';
    if (m.metric_name !== 'ENTITLEMENT') continue;
    const endTime = seconds(m.end_time);
    if (endTime === null) return 'a measurement has no end_time in seconds';
    const value = isObject(m.value) ? m.value.value : undefined;
    if (typeof value !== 'string' || !DIGITS.test(value) || value.length > 7 || Number(value) > MAX_COUNT) {
      return 'a measurement value is not a count of decimal digits from 0 to 1000000';
    }
    if (!best || endTime > best.endTime) best = { count: Number(value), endTime };
  }
  const usage = typeof tagValue === 'string' && best ? { tag: tagValue, ...best } : null;
  // Without LosslessNumbers in it (see parseOuter) the native serializer writes the same text.
  return { udi, reportId, payload, report: (lossless ? stringify(obj) : JSON.stringify(obj)) ?? '', usage };
}

/**
 * Reads an all-reports answer. Throws BadAnswer when the answer itself is not a JSON object or
 * its `usage` is neither a report object nor an array; an absent or null `usage` is no reports.
 */
export function parseAllReports(text: string): ParsedAnswer {
  let answer: Json;
  let lossless: boolean;
  try {
    ({ value: answer, lossless } = parseOuter(text));
  } catch {
    throw new BadAnswer('The answer is not JSON.');
  }
  if (!isObject(answer)) throw new BadAnswer('The answer is not a JSON object.');
  const usage = answer.usage;
  let list: Json[];
  if (usage === undefined || usage === null) list = [];
  else if (Array.isArray(usage)) list = usage;
  else if (isObject(usage)) list = [usage];
  else throw new BadAnswer('The answer\'s "usage" is neither a report nor a list of reports.');
  const out: ParsedAnswer = { reports: [], skipped: [] };
  list.forEach((item, index) => {
    const r = readReport(item, lossless);
    if (typeof r === 'string') out.skipped.push({ index, reason: r });
    else out.reports.push(r);
  });
  return out;
}

/** The key a report is known by: the product's UDI and the report id. */
export const reportKey = (udi: { pid: string; sn: string }, reportId: string) => `${udi.pid}\u0000${udi.sn}\u0000${reportId}`;

/**
 * A device's count per tag from its reports: for each tag, the count of the measurement with the
 * greatest end_time (a later report replaces an earlier one; equal end times keep the first seen).
 */
export function latestCounts(usages: Iterable<ReportUsage | null>): Map<string, ReportUsage> {
  const out = new Map<string, ReportUsage>();
  for (const u of usages) {
    if (!u) continue;
    const cur = out.get(u.tag);
    if (!cur || u.endTime > cur.endTime) out.set(u.tag, u);
  }
  return out;
}
