// Reading products' answers (SPEC §9 "Reports"): both layouts, ids past 2^53 kept as digits, the
// payload kept byte-exact, malformed reports skipped with the rest taken, whole answers refused.
import t from 'tap';
import { BadAnswer, latestCounts, parseAllReports, readReport } from '../../../../daemon/domain/collector/reports.ts';

const sudi = { udi_pid: 'C9300-24P', udi_serial_number: 'FOC1' };
const measurement = (end: number, value: string, metric = 'ENTITLEMENT') =>
  `{"log_time":${end},"metric_name":"${metric}","start_time":${end - 900},"end_time":${end},"sample_interval":900,"num_samples":2,"value":{"type":"COUNT","value":"${value}"}}`;
/** Layout A payload text; the id is written as raw digits. */
const payloadA = (id: string, tag = 'tag-a', ms = [measurement(1000, '3')]) =>
  `{"version":"2.0","asset_identification":{"report_id":${id},"asset":{"name":"x"},"instance":{"sudi":${JSON.stringify(sudi)}}},"meta":{"entitlement_tag":"${tag}"},"measurements":[${ms.join(',')}]}`;
const payloadB = (id: string) =>
  `{"asset_identification":{"asset":{"name":"x"},"signature":{"signing_type":"builtin"}},"meta":{"entitlement_tag":"tag-b","report_id":${id}},"measurements":[${measurement(2000, '7')}]}`;
const report = (payload: string, withSudi = true) =>
  JSON.stringify({ payload, header: { type: 'rum' }, signature: withSudi ? { sudi, signing_type: 'builtin', value: 'x' } : {} });

t.test('both layouts give UDI, id digits, usage; ids beyond 2^53 survive', async (t) => {
  const big = '123456789012345678901234567890';
  const answer = parseAllReports(`{"usage":[${report(payloadA(big))},${report(payloadB('9007199254740993'))}]}`);
  t.same(answer.skipped, []);
  t.same(answer.reports.map((r) => r.reportId), [big, '9007199254740993']);
  t.same(answer.reports[0]!.udi, { pid: 'C9300-24P', sn: 'FOC1' }, 'layout A: from asset_identification.instance.sudi');
  t.same(answer.reports[1]!.udi, { pid: 'C9300-24P', sn: 'FOC1' }, 'layout B: from the outer signature.sudi');
  t.same(answer.reports[0]!.usage, { tag: 'tag-a', count: 3, endTime: 1000 });
  t.same(answer.reports[1]!.usage, { tag: 'tag-b', count: 7, endTime: 2000 });
});

t.test('the payload string is kept exactly as received, escapes and spacing included', async (t) => {
  const odd = payloadA('5').replace('"x"', '"a b\\u00e9 \\/ c"');
  const text = `{ "usage" : { "payload" : ${JSON.stringify(odd)} , "signature":{"sudi":${JSON.stringify(sudi)}} } }`;
  const [r] = parseAllReports(text).reports;
  t.equal(r!.payload, odd, 'byte for byte');
  t.equal((JSON.parse(r!.report) as { payload: string }).payload, odd, 'the stored report object carries the same string');
  t.ok(r!.payload.includes('\\u00e9'), 'an escape inside the payload is not decoded');
});

t.test('numbers in the outer objects keep their digits in the stored report object (the lossless path)', async (t) => {
  const big = '123456789012345678901234567890';
  const text = `{"usage":[{"payload":${JSON.stringify(payloadA('7'))},"header":{"type":"rum","n":${big},"f":1.10},"signature":{"sudi":${JSON.stringify(sudi)}}}]}`;
  const [r] = parseAllReports(text).reports;
  t.match(r!.report, `"n":${big}`, 'an integer past 2^53');
  t.match(r!.report, '"f":1.10', 'a decimal as written');
  const plain = parseAllReports(`{"usage":[${report(payloadA('7'))}]}`).reports[0]!;
  t.equal(plain.report, report(payloadA('7')), 'without numbers, the same text as the lossless serializer writes');
});

t.test('usage as a single object is one report; absent or null is none', async (t) => {
  t.equal(parseAllReports(`{"usage":${report(payloadA('1'))}}`).reports.length, 1);
  t.same(parseAllReports('{}'), { reports: [], skipped: [] });
  t.same(parseAllReports('{"usage":null}'), { reports: [], skipped: [] });
  t.same(parseAllReports('{"usage":[]}'), { reports: [], skipped: [] });
});

t.test('a whole answer that is not JSON, not an object, or has usage of the wrong type is BadAnswer', async (t) => {
  for (const text of ['<html>login</html>', '{"usage":[', '[]', '"x"', '{"usage":"none"}', '{"usage":5}', '']) {
    t.throws(() => parseAllReports(text), BadAnswer, JSON.stringify(text));
  }
});

t.test('malformed reports are skipped with a reason, the rest taken', async (t) => {
  const good = report(payloadA('1'));
  const cases: Array<[string, RegExp]> = [
    [JSON.stringify({ header: { type: 'rum' } }), /no payload/],
    [report('not json'), /not JSON/],
    [report('[1,2]'), /not a JSON object/],
    [report(payloadA('1').replace(/"instance":\{[^}]*\}\}/, '"instance":{}'), false), /UDI/],
    [report(payloadA('-4')), /report_id/],
    [report(payloadA('1.5')), /report_id/],
    [report(payloadA('"abc"')), /report_id/],
    [report(payloadA('2', 't', [measurement(1000, 'three')])), /decimal digits/],
    [report(payloadA('2', 't', [measurement(1000, '1000001')])), /decimal digits/],
    [report(payloadA('2', 't', [measurement(1000, '-1')])), /decimal digits/],
    ['"a string"', /not an object/],
  ];
  const answer = parseAllReports(`{"usage":[${[good, ...cases.map((c) => c[0])].join(',')}]}`);
  t.equal(answer.reports.length, 1);
  t.equal(answer.skipped.length, cases.length);
  cases.forEach(([, why], i) => t.match(answer.skipped[i]!.reason, why, `case ${i}`));
  t.same(answer.skipped.map((s) => s.index), cases.map((_, i) => i + 1));
});

t.test('the count is the ENTITLEMENT measurement with the greatest end_time; other metrics count nothing', async (t) => {
  const r = readReport(JSON.parse(report(payloadA('9', 'tag', [measurement(3000, '4'), measurement(5000, '6'), measurement(4000, '8'), measurement(9000, '99', 'TELEMETRY')]))));
  t.same(typeof r === 'string' ? r : r.usage, { tag: 'tag', count: 6, endTime: 5000 });
  const telemetry = readReport(JSON.parse(report(payloadA('9', 'tag', [measurement(3000, '4', 'TELEMETRY')]))));
  t.equal(typeof telemetry === 'string' ? telemetry : telemetry.usage, null);
  t.same(latestCounts([{ tag: 'a', count: 1, endTime: 10 }, null, { tag: 'a', count: 5, endTime: 30 }, { tag: 'a', count: 9, endTime: 20 }, { tag: 'b', count: 2, endTime: 1 }]),
    new Map([['a', { tag: 'a', count: 5, endTime: 30 }], ['b', { tag: 'b', count: 2, endTime: 1 }]]));
});
