/**
 * The exported report's chart, as inline SVG (no scripts): per-cell RSS
 * changes as bars on the left axis (signed, around zero) and RSS after each
 * cell as a line on the right axis (from zero): two scales, each labelled,
 * and a legend.
 */

import { formatBytes, formatDelta } from '../common/format';
import type { Units } from '../common/settings';
import type { HistoryEntry } from './model';
import { rssDelta } from './readout';

const WIDTH = 760;
const HEIGHT = 280;
/** Room for the axes' labels (left, right), the legend (top) and the cell numbers (bottom). */
const LEFT = 78;
const RIGHT = 78;
const TOP = 34;
const BOTTOM = 36;
const GROW = '#d9534f';
const SHRINK = '#5cb85c';
const LINE = '#337ab7';

function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function text(
  x: number,
  y: number,
  content: string,
  anchor: 'start' | 'middle' | 'end',
  extra = ''
): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-size="11" text-anchor="${anchor}"${extra}>${escapeXml(content)}</text>`;
}

/** Per-cell Δ RSS bars (left axis) and the RSS-after line (right axis), as inline SVG. */
export function chartSvg(
  entries: ReadonlyArray<HistoryEntry>,
  units: Units
): string {
  const data = entries.flatMap(entry =>
    entry.kind === 'record' && entry.record.rss_after !== null
      ? [entry.record]
      : []
  );
  if (data.length === 0) {
    return '';
  }
  const deltas = data.map(record => rssDelta(record) ?? 0);
  const rss = data.map(record => record.rss_after ?? 0);
  const maxRss = Math.max(...rss, 1);
  const maxDelta = Math.max(...deltas.map(Math.abs), 1);
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const step = plotW / data.length;
  const mid = TOP + plotH / 2;
  const deltaY = (d: number): number => mid - (d / maxDelta) * (plotH / 2);
  const rssY = (r: number): number => TOP + plotH - (r / maxRss) * plotH;
  const parts: string[] = [];
  // Axes: left (Δ RSS), right (RSS), zero line of the bars.
  parts.push(
    `<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${TOP + plotH}" stroke="#666"/>`,
    `<line x1="${WIDTH - RIGHT}" y1="${TOP}" x2="${WIDTH - RIGHT}" y2="${TOP + plotH}" stroke="${LINE}"/>`,
    `<line x1="${LEFT}" y1="${mid}" x2="${WIDTH - RIGHT}" y2="${mid}" stroke="#999" stroke-dasharray="3 3"/>`
  );
  for (const d of [maxDelta, 0, -maxDelta]) {
    parts.push(text(LEFT - 6, deltaY(d) + 4, formatDelta(d, units), 'end'));
  }
  for (const r of [maxRss, maxRss / 2, 0]) {
    parts.push(
      text(WIDTH - RIGHT + 6, rssY(r) + 4, formatBytes(r, units), 'start')
    );
  }
  parts.push(
    text(
      14,
      mid,
      'Δ RSS per cell',
      'middle',
      ` transform="rotate(-90 14 ${mid})"`
    ),
    text(
      WIDTH - 10,
      mid,
      'RSS after the cell',
      'middle',
      ` transform="rotate(90 ${WIDTH - 10} ${mid})" fill="${LINE}"`
    ),
    text(LEFT + plotW / 2, HEIGHT - 6, 'Cells, in the order they ran', 'middle')
  );
  // Bars: one per cell, up for growth, down for shrinkage.
  deltas.forEach((d, i) => {
    const y = Math.min(deltaY(d), mid);
    const h = Math.abs(deltaY(d) - mid);
    const label = `[${data[i].execution_count ?? ''}] ${formatDelta(d, units)}`;
    parts.push(
      `<rect x="${(LEFT + i * step + step * 0.15).toFixed(1)}" y="${y.toFixed(1)}" width="${(step * 0.7).toFixed(1)}" height="${h.toFixed(1)}" fill="${d >= 0 ? GROW : SHRINK}"><title>${escapeXml(label)}</title></rect>`
    );
  });
  // Cell numbers under the plot, when they fit.
  if (step >= 18) {
    data.forEach((record, i) => {
      parts.push(
        text(
          LEFT + i * step + step / 2,
          TOP + plotH + 14,
          record.execution_count === null ? '' : `[${record.execution_count}]`,
          'middle'
        )
      );
    });
  }
  const points = rss
    .map(
      (r, i) =>
        `${(LEFT + i * step + step / 2).toFixed(1)},${rssY(r).toFixed(1)}`
    )
    .join(' ');
  parts.push(
    `<polyline points="${points}" fill="none" stroke="${LINE}" stroke-width="2"/>`
  );
  // Legend, above the plot.
  parts.push(
    `<path d="M${LEFT} 10h10v10h-10z" fill="${GROW}"/>`,
    text(LEFT + 14, 19, 'grew', 'start'),
    `<path d="M${LEFT + 50} 10h10v10h-10z" fill="${SHRINK}"/>`,
    text(LEFT + 64, 19, 'shrank (Δ RSS, left axis)', 'start'),
    `<path d="M${LEFT + 230} 15h18" stroke="${LINE}" stroke-width="2"/>`,
    text(LEFT + 252, 19, 'RSS after the cell (right axis)', 'start')
  );
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Per-cell RSS change (bars, left axis) and RSS after each cell (line, right axis)" style="white-space: nowrap">` +
    parts.join('') +
    '</svg>'
  );
}
