// In use against purchased, one bar pair per entitlement, drawn as plain SVG (no library, no
// inline style: colours come from classes in app.css).
import { h, svg } from '../dom.ts';
import { num, plural } from '../format.ts';
import type { Pool } from '../types.ts';

/**
 * Two layouts: wide (label, bar, value on one line) and, on a narrow screen, compact (the label
 * above its bar) so the text is drawn near its real size instead of shrunk with a wide picture.
 */
interface Geometry {
  row: number;
  labelW: number;
  barW: number;
  width: number;
  /** Offset of the bar below the row's top (the compact layout puts the label above it). */
  barY: number;
  labelX: number;
  labelY: number;
  anchor: 'end' | 'start';
  clipAt: number;
}
const WIDE: Geometry = { row: 34, labelW: 210, barW: 420, width: 780, barY: 0, labelX: 200, labelY: 17, anchor: 'end', clipAt: 28 };
const COMPACT: Geometry = { row: 50, labelW: 0, barW: 230, width: 360, barY: 18, labelX: 0, labelY: 13, anchor: 'start', clipAt: 44 };

export const narrowScreen = (): boolean => typeof window.matchMedia === 'function' && window.matchMedia('(max-width: 640px)').matches;

export function usageChart(pools: Pool[], title = 'Licenses in use against purchased, per entitlement'): SVGSVGElement | HTMLElement {
  const g = narrowScreen() ? COMPACT : WIDE;
  const ROW = g.row;
  const LABEL_W = g.labelW;
  const BAR_W = g.barW;
  const WIDTH = g.width;
  const rows = [...pools].sort((a, b) => a.entitlement.localeCompare(b.entitlement));
  if (rows.length === 0) return h('p', { class: 'empty' }, 'No entitlements yet: they arrive with the registration and each sync with the cloud.');
  const max = Math.max(1, ...rows.map((p) => Math.max(p.purchased, p.inUse + p.reserved)));
  const scale = (n: number) => (n / max) * BAR_W;
  const height = rows.length * ROW + 40;
  const titleId = `chart-t-${Math.random().toString(36).slice(2)}`;
  const descId = `${titleId}-d`;
  const short = rows.filter((p) => p.status === 'insufficient').length;

  const chart = svg(
    'svg',
    { viewBox: `0 0 ${WIDTH} ${height}`, class: g === COMPACT ? 'chart compact' : 'chart', role: 'img', 'aria-labelledby': `${titleId} ${descId}`, preserveAspectRatio: 'xMinYMin meet' },
    svg('title', { id: titleId }, title),
    svg('desc', { id: descId }, `${plural(rows.length, 'entitlement')}; ${short} short of licenses.`),
  );
  rows.forEach((p, i) => {
    const y = i * ROW + 6 + g.barY;
    const over = p.status === 'insufficient';
    const usedW = scale(p.inUse);
    const reservedW = scale(p.reserved);
    chart.appendChild(
      svg(
        'g',
        { class: over ? 'row over' : 'row', 'data-entitlement': p.entitlement },
        svg('title', null, `${p.entitlement}: ${num(p.inUse)} in use, ${num(p.reserved)} reserved, ${num(p.purchased)} purchased${over ? ' — short of licenses' : ''}`),
        svg('text', { x: g.labelX, y: y - g.barY + g.labelY, 'text-anchor': g.anchor, class: 'label' }, clip(p.entitlement, g.clipAt)),
        svg('rect', { x: LABEL_W, y: y + 2, width: Math.max(scale(p.purchased), 1), height: 20, rx: 3, class: 'purchased' }),
        svg('rect', { x: LABEL_W, y: y + 7, width: usedW, height: 10, rx: 2, class: over ? 'in-use over' : 'in-use' }),
        p.reserved > 0 ? svg('rect', { x: LABEL_W + usedW, y: y + 7, width: reservedW, height: 10, class: 'reserved' }) : null,
        svg('text', { x: LABEL_W + BAR_W + 10, y: y + 17, class: over ? 'value over' : 'value' }, `${num(p.inUse + p.reserved)} / ${num(p.purchased)}${over ? ' short' : ''}`),
      ),
    );
  });
  const ly = rows.length * ROW + 16;
  const step = g === COMPACT ? 88 : 100;
  chart.appendChild(
    svg(
      'g',
      { class: 'legend', 'aria-hidden': 'true' },
      svg('rect', { x: LABEL_W, y: ly, width: 14, height: 14, rx: 2, class: 'purchased' }),
      svg('text', { x: LABEL_W + 20, y: ly + 12 }, 'purchased'),
      svg('rect', { x: LABEL_W + step, y: ly + 2, width: 14, height: 10, class: 'in-use' }),
      svg('text', { x: LABEL_W + step + 20, y: ly + 12 }, 'in use'),
      svg('rect', { x: LABEL_W + 2 * step - 10, y: ly + 2, width: 14, height: 10, class: 'reserved' }),
      svg('text', { x: LABEL_W + 2 * step + 10, y: ly + 12 }, 'reserved'),
      svg('rect', { x: LABEL_W + 3 * step - 10, y: ly + 2, width: 14, height: 10, class: 'in-use over' }),
      svg('text', { x: LABEL_W + 3 * step + 10, y: ly + 12 }, 'short'),
    ),
  );
  return chart;
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
