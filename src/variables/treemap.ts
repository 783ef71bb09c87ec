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

/** plotly, imported once, on first use (the Cells chart shares it). */
export function loadPlotly(): Promise<Plotly> {
  plotly ??= import('plotly.js-dist-min');
  return plotly;
}

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

/**
 * `text` with the characters plotly's pseudo-HTML reads as markup turned into
 * entities (plotly renders entities as text): a name or type name can then
 * never add a link, a style or a line break.
 */
export function escapePlotly(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** The root's id: no variable's id (`v0`, `v1`, ...) can equal it. */
const ROOT_ID = 'memlens-root';

/** The treemap trace's data: ids apart from labels, so any name (even `namespace`) works. */
export function treemapData(
  rows: ReadonlyArray<IVariableRow>,
  units: Units
): {
  ids: string[];
  labels: string[];
  parents: string[];
  values: number[];
  text: string[];
  /** What each tile's colour follows: its retained bytes (0 for the root). */
  colors: number[];
} {
  const sized = rows.filter(row => row.retained > 0);
  return {
    ids: [ROOT_ID, ...sized.map((_, index) => `v${index}`)],
    labels: ['namespace', ...sized.map(row => escapePlotly(row.name))],
    parents: ['', ...sized.map(() => ROOT_ID)],
    values: [0, ...sized.map(row => row.retained)],
    colors: [0, ...sized.map(row => row.retained)],
    text: [
      '',
      ...sized.map(
        row =>
          `${escapePlotly(row.type)}<br>${escapePlotly(formatBytes(row.retained, units))}`
      )
    ]
  };
}

/**
 * The colour scale from the smallest tile to the largest: from the page's
 * background towards the theme's brand colour, so the biggest tile is the
 * most saturated in the light theme and in the dark one alike.
 */
export function sizeColourscale(
  background: string,
  brand: string
): Array<[number, string]> {
  return [
    [0, background],
    [1, brand]
  ];
}

/** Draw retained sizes as a treemap in `host` (replacing what was there). */
export async function renderTreemap(
  host: HTMLElement,
  rows: ReadonlyArray<IVariableRow>,
  units: Units
): Promise<void> {
  if (!rows.some(row => row.retained > 0)) {
    host.textContent = 'Nothing retains any memory yet.';
    return;
  }
  const Plotly = await loadPlotly();
  if (!host.isConnected) {
    return; // Re-rendered while plotly loaded.
  }
  await Plotly.newPlot(
    host,
    [
      {
        type: 'treemap',
        ...treemapData(rows, units),
        textinfo: 'label+text',
        hovertemplate: '%{label}: %{text} retained<extra></extra>',
        branchvalues: 'remainder',
        marker: {
          colorscale: sizeColourscale(
            cssVar('--jp-layout-color2', '#eeeeee'),
            cssVar('--jp-brand-color1', '#1976d2')
          ),
          cmin: 0,
          cmax: Math.max(...rows.map(row => row.retained)),
          line: { color: cssVar('--jp-layout-color1', '#fff'), width: 1 }
        },
        root: { color: cssVar('--jp-layout-color1', '#fff') }
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
