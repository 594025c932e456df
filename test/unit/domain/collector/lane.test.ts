// The storage lane's cut (SPEC §9 "Polls never block device ingest"): an answer's reports go in
// order into parts within the reports and characters budget, no report cut or lost, a report over
// the budget alone; waiting parts join one transaction only while the sum stays within it.
import t from 'tap';
import { LANE_BUDGET, partsWithin, REPORTS_PER_TRANSACTION, splitReports, weigh } from '../../../../daemon/domain/collector/lane.ts';

const rep = (i: number, chars: number) => ({ id: i, report: 'x'.repeat(chars) });

t.test('an answer is cut in order into parts of at most the budget, nothing lost', async (t) => {
  const reports = Array.from({ length: REPORTS_PER_TRANSACTION * 2 + 5 }, (_, i) => rep(i, 100));
  const parts = splitReports(reports);
  t.same(parts.map((p) => p.length), [REPORTS_PER_TRANSACTION, REPORTS_PER_TRANSACTION, 5], 'by count when reports are small');
  t.same(parts.flat().map((r) => r.id), reports.map((r) => r.id), 'every report once, in order');
  t.same(splitReports([]), [], 'no reports, no parts');
});

t.test('large reports are cut by characters; one over the budget is a part of its own', async (t) => {
  const budget = { reports: 100, chars: 1000 };
  const reports = [rep(0, 400), rep(1, 400), rep(2, 400), rep(3, 5000), rep(4, 1000), rep(5, 1)];
  const parts = splitReports(reports, budget);
  t.same(parts.map((p) => p.map((r) => r.id)), [[0, 1], [2], [3], [4], [5]]);
  for (const p of parts) t.ok(p.length === 1 || weigh(p).chars <= budget.chars, 'within the budget unless a single report');
  // The default budget holds a Catalyst's usual report (~1.1 kB) 32 at a time.
  t.equal(splitReports(Array.from({ length: 64 }, (_, i) => rep(i, 1100))).length, 2);
  t.ok(LANE_BUDGET.chars >= 32 * 1100);
});

t.test('waiting parts share a transaction only within the budget, the first always', async (t) => {
  const budget = { reports: 10, chars: 1000 };
  t.equal(partsWithin([], budget), 0);
  t.equal(partsWithin([{ reports: 50, chars: 9000 }, { reports: 1, chars: 1 }], budget), 1, 'an oversized first part goes alone');
  t.equal(partsWithin([{ reports: 4, chars: 100 }, { reports: 4, chars: 100 }, { reports: 4, chars: 100 }], budget), 2, 'by count');
  t.equal(partsWithin([{ reports: 1, chars: 600 }, { reports: 1, chars: 600 }, { reports: 1, chars: 10 }], budget), 1, 'by characters, in order (no skipping ahead)');
  t.equal(partsWithin([{ reports: 0, chars: 0 }, { reports: 3, chars: 300 }], budget), 2, 'an answer with no reports (its poll result) joins');
});
