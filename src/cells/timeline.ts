/**
 * The Cells chart: each cell's RSS change as bars (left axis) and the RSS
 * after it as a line (right axis), drawn with plotly, loaded on first use.
 * Clicking a bar or a point selects its cell.
 */

import { formatBytes, formatDelta } from '../common/format';
import type { Units } from '../common/settings';
import { loadPlotly } from '../variables/treemap';
import type { HistoryEntry } from './model';
import { rssDelta } from './readout';

/** The chart's data: one x per recorded cell, in the order they ran. */
export function timelineData(
  entries: ReadonlyArray<HistoryEntry>,
  units: Units
): {
  x: string[];
  deltas: number[];
  rss: Array<number | null>;
  cellIds: Array<string | null>;
  text: string[];
} {
  const records = entries.flatMap(entry =>
    entry.kind === 'record' ? [entry.record] : []
  );
  return {
    // Position first, so that two runs of [3] (after a restart) stay apart.
    x: records.map(
      (record, i) => `${i + 1}: [${record.execution_count ?? ' '}]`
    ),
    deltas: records.map(record => rssDelta(record) ?? 0),
    rss: records.map(record => record.rss_after),
    cellIds: records.map(record => record.cell_id),
    text: records.map(
      record =>
        `${record.preview}<br>Δ RSS ${formatDelta(rssDelta(record), units)} · RSS ${formatBytes(record.rss_after, units)}`
    )
  };
}

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

/** Draw the chart in `host`; `onSelect` gets a clicked cell's id. */
export async function renderTimeline(
  host: HTMLElement,
  entries: ReadonlyArray<HistoryEntry>,
  units: Units,
  onSelect: (cellId: string) => void
): Promise<void> {
  const data = timelineData(entries, units);
  if (data.x.length === 0) {
    host.textContent = 'Run a cell to see what it did to memory.';
    return;
  }
  const Plotly = await loadPlotly();
  if (!host.isConnected) {
    return;
  }
  const text = data.text.map(t =>
    t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  );
  const font = cssVar('--jp-ui-font-color1', '#000');
  const plot = await Plotly.newPlot(
    host,
    [
      {
        type: 'bar',
        name: 'Δ RSS (left axis)',
        x: data.x,
        y: data.deltas,
        text,
        hovertemplate: '%{text}<extra></extra>',
        textposition: 'none',
        marker: {
          color: data.deltas.map(d =>
            d >= 0
              ? cssVar('--jp-error-color1', '#d32f2f')
              : cssVar('--jp-success-color1', '#388e3c')
          )
        }
      },
      {
        type: 'scatter',
        mode: 'lines+markers',
        name: 'RSS after (right axis)',
        x: data.x,
        y: data.rss,
        yaxis: 'y2',
        text,
        hovertemplate: '%{text}<extra></extra>',
        line: { color: cssVar('--jp-brand-color1', '#1976d2') }
      }
    ],
    {
      height: 260,
      margin: { l: 56, r: 56, t: 8, b: 40 },
      paper_bgcolor: cssVar('--jp-layout-color1', '#fff'),
      plot_bgcolor: cssVar('--jp-layout-color1', '#fff'),
      font: { color: font, size: 10 },
      showlegend: true,
      legend: { orientation: 'h', y: -0.25 },
      xaxis: { type: 'category', showticklabels: false },
      yaxis: { title: { text: 'Δ RSS (bytes)' }, zeroline: true },
      yaxis2: {
        title: { text: 'RSS (bytes)' },
        overlaying: 'y',
        side: 'right',
        rangemode: 'tozero',
        showgrid: false
      }
    },
    { displayModeBar: false, responsive: true }
  );
  const events = plot as HTMLElement & {
    on?: (
      event: string,
      handler: (event: { points: Array<{ pointIndex: number }> }) => void
    ) => void;
  };
  events.on?.('plotly_click', event => {
    const index = event.points[0]?.pointIndex;
    const cellId = index === undefined ? null : data.cellIds[index];
    if (cellId) {
      onSelect(cellId);
    }
  });
}
