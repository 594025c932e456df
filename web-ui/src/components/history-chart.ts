// Usage over time, one small chart per entitlement: in use (a line) against purchased (a step
// line) per day, drawn as plain SVG (no library, no inline style: colours come from app.css).
// Each chart says its numbers in its title and description for screen readers.
import { h, svg } from '../dom.ts';
import { num, plural } from '../format.ts';
import type { UsagePoint } from '../types.ts';
import { all } from '../api.ts';

export const HISTORY_DAYS_SHOWN = 90;

/** Usage over time for a scope (`va`, `nested`; none: all the caller may see), as charts with their legend. */
export async function usageOverTime(query: { va?: string; nested?: boolean }, signal?: AbortSignal): Promise<HTMLElement> {
  const points = await all<UsagePoint>('/api/licenses/history', { ...query, days: HISTORY_DAYS_SHOWN }, signal);
  return h('div', null, historyCharts(points, { days: HISTORY_DAYS_SHOWN, today: new Date().toISOString().slice(0, 10) }), points.length ? historyLegend(HISTORY_DAYS_SHOWN) : null);
}

const W = 340;
const H = 130;
const PAD = { left: 36, right: 10, top: 10, bottom: 22 };
const DAY_MS = 86_400_000;

export function historyCharts(points: UsagePoint[], opts: { days: number; today: string }): HTMLElement {
  const byEntitlement = new Map<string, UsagePoint[]>();
  for (const p of points) byEntitlement.set(p.entitlement, [...(byEntitlement.get(p.entitlement) ?? []), p]);
  if (byEntitlement.size === 0) {
    return h('p', { class: 'empty' }, 'No usage recorded yet: the satellite takes a sample of its pools every hour, at seven minutes past.');
  }
  // The time axis spans what was sampled (a satellite a few days old draws those days across the
  // width, not squeezed into the right edge of 90), up to today.
  const last = Date.parse(`${opts.today}T00:00:00Z`);
  const earliest = Math.min(...points.map((p) => Date.parse(`${p.day}T00:00:00Z`)));
  const first = Math.min(Math.max(earliest, last - (opts.days - 1) * DAY_MS), last - DAY_MS);
  return h(
    'div',
    { class: 'history-charts' },
    ...[...byEntitlement].sort(([a], [b]) => a.localeCompare(b)).map(([e, list]) => one(e, list, first, last)),
  );
}

function one(entitlement: string, list: UsagePoint[], first: number, last: number): HTMLElement {
  const pts = [...list].sort((a, b) => a.day.localeCompare(b.day));
  const max = Math.max(1, ...pts.map((p) => Math.max(p.purchased, p.inUse + p.reserved)));
  const x = (day: string) => PAD.left + ((Date.parse(`${day}T00:00:00Z`) - first) / Math.max(DAY_MS, last - first)) * (W - PAD.left - PAD.right);
  const y = (n: number) => PAD.top + (1 - n / max) * (H - PAD.top - PAD.bottom);
  const used = pts.map((p) => `${x(p.day).toFixed(1)},${y(p.inUse + p.reserved).toFixed(1)}`).join(' ');
  // Purchased changes at a day's start: a step line.
  const bought = pts.flatMap((p, i) => {
    const here = `${x(p.day).toFixed(1)},${y(p.purchased).toFixed(1)}`;
    return i === 0 ? [here] : [`${x(p.day).toFixed(1)},${y(pts[i - 1]!.purchased).toFixed(1)}`, here];
  }).join(' ');
  const end = pts[pts.length - 1]!;
  const over = end.inUse + end.reserved > end.purchased;
  const titleId = `hc-${Math.random().toString(36).slice(2)}`;
  const chart = svg(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, class: 'history-chart', role: 'img', 'aria-labelledby': `${titleId} ${titleId}-d`, 'data-entitlement': entitlement },
    svg('title', { id: titleId }, `${entitlement}: in use against purchased, per day`),
    svg(
      'desc',
      { id: `${titleId}-d` },
      `${plural(pts.length, 'day')} from ${pts[0]!.day} to ${end.day}; on ${end.day} ${num(end.inUse + end.reserved)} in use or reserved of ${num(end.purchased)} purchased.`,
    ),
    svg('line', { x1: PAD.left, y1: y(0), x2: W - PAD.right, y2: y(0), class: 'axis' }),
    svg('text', { x: PAD.left - 6, y: y(max) + 4, 'text-anchor': 'end', class: 'tick' }, num(max)),
    svg('text', { x: PAD.left - 6, y: y(0) + 4, 'text-anchor': 'end', class: 'tick' }, '0'),
    svg('text', { x: PAD.left, y: H - 6, class: 'tick' }, new Date(first).toISOString().slice(5, 10)),
    svg('text', { x: W - PAD.right, y: H - 6, 'text-anchor': 'end', class: 'tick' }, new Date(last).toISOString().slice(5, 10)),
    svg('polyline', { points: bought, class: 'purchased-line' }),
    pts.length > 1 ? svg('polyline', { points: used, class: over ? 'in-use-line over' : 'in-use-line' }) : null,
    svg('circle', { cx: x(end.day), cy: y(end.inUse + end.reserved), r: 3.5, class: over ? 'in-use-dot over' : 'in-use-dot' }),
  );
  return h(
    'figure',
    { class: 'history' },
    h('figcaption', null, h('strong', null, entitlement), ' ', h('span', { class: over ? 'text-bad' : 'muted' }, `${num(end.inUse + end.reserved)} / ${num(end.purchased)}`)),
    chart,
  );
}

/** The legend under the charts, in words. */
export const historyLegend = (days: number): HTMLElement =>
  h('p', { class: 'history-legend' }, `Up to the last ${days} days, one sample a day: the solid line is in use (with reserved), the dashed one purchased; red where use went over.`);
