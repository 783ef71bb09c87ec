/**
 * The only module that imports plotly, and only when a chart is first drawn:
 * plotly is large, and most sessions never open a chart.
 */

import type * as PlotlyModule from 'plotly.js-dist-min';

import { formatBytes } from '../common/format';
import type { IVariableRow } from '../wire/protocol';
import type { Units } from '../common/settings';

type Plotly = typeof PlotlyModule;

let plotly: Promise<Plotly> | null = null;

function loadPlotly(): Promise<Plotly> {
  plotly ??= import('plotly.js-dist-min');
  return plotly;
}

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

/** Draw retained sizes as a treemap in `host` (replacing what was there). */
export async function renderTreemap(
  host: HTMLElement,
  rows: ReadonlyArray<IVariableRow>,
  units: Units
): Promise<void> {
  const sized = rows.filter(row => row.retained > 0);
  if (sized.length === 0) {
    host.textContent = 'Nothing retains any memory yet.';
    return;
  }
  const Plotly = await loadPlotly();
  if (!host.isConnected) {
    return; // Re-rendered while plotly loaded.
  }
  const root = 'namespace';
  await Plotly.newPlot(
    host,
    [
      {
        type: 'treemap',
        labels: [root, ...sized.map(row => row.name)],
        parents: ['', ...sized.map(() => root)],
        values: [0, ...sized.map(row => row.retained)],
        text: [
          '',
          ...sized.map(
            row => `${row.type}<br>${formatBytes(row.retained, units)}`
          )
        ],
        textinfo: 'label+text',
        hovertemplate: '%{label}: %{text}<extra></extra>',
        branchvalues: 'remainder',
        marker: { colorscale: 'Blues' }
      }
    ],
    {
      margin: { l: 0, r: 0, t: 0, b: 0 },
      paper_bgcolor: cssVar('--jp-layout-color1', '#fff'),
      font: { color: cssVar('--jp-ui-font-color1', '#000'), size: 11 },
      height: 320
    },
    { displayModeBar: false, responsive: true }
  );
}
