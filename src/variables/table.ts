/**
 * The Variables table: a heading of sort buttons and one row per variable
 * (and per loaded part of an expanded one). Renders only; the section owns
 * the state and passes what to do on a click.
 */

import { PAGE_SIZE } from '../common/constants';
import { formatBytes } from '../common/format';
import type { Units } from '../common/settings';
import type { IChildRow, IVariableRow, PathStep } from '../wire/protocol';
import type { VariablesModel } from './model';
import { pathKey } from './model';
import {
  deviceText,
  flagsText,
  keptText,
  keptTooltip,
  ratioText,
  retainedIsApprox,
  retainedText,
  sizeText,
  type SortKey
} from './rows';
import { barPercent, COLUMNS, secondaryText, warningFlags } from './columns';
import { sharedLine, sharedTooltip } from './shares';
import { deviceBytesText } from '../kernel/gpuText';

/** Name of the output cache's row. */
export const OUTPUT_CACHE = 'Out';

/** What the table needs from its section. */
export interface ITableContext {
  shown: SortKey[];
  sortKey: SortKey;
  descending: boolean;
  units: Units;
  model: VariablesModel | null;
  onSort: (key: SortKey) => void;
  onExpand: (path: PathStep[]) => void;
  onCollapse: (path: PathStep[]) => void;
  onMore: (path: PathStep[]) => void;
}

/** The table of `rows`, in the order given. */
export function renderTable(
  rows: IVariableRow[],
  context: ITableContext
): HTMLTableElement {
  const shown = context.shown;
  const table = document.createElement('table');
  table.className = 'jp-MemlensVariables-table';
  table.dataset.columns = String(shown.length);
  const head = table.createTHead().insertRow();
  for (const column of COLUMNS) {
    const th = document.createElement('th');
    th.dataset.key = column.key;
    th.hidden = !shown.includes(column.key);
    // A button in the heading: focusable, and Enter or Space sorts.
    const button = document.createElement('button');
    button.className = 'jp-MemlensVariables-sortButton';
    button.textContent = column.title;
    button.title = `${column.caption} — sort by it`;
    if (column.key === context.sortKey) {
      th.dataset.sorted = context.descending ? 'descending' : 'ascending';
      th.setAttribute('aria-sort', th.dataset.sorted);
    }
    button.addEventListener('click', () => context.onSort(column.key));
    th.append(button);
    head.appendChild(th);
  }
  const largest = Math.max(0, ...rows.map(row => row.retained));
  const tbody = table.createTBody();
  for (const row of rows) {
    const path: PathStep[] = [{ kind: 'name', value: row.name }];
    addRow(tbody, row, row.name, path, 0, {
      context,
      largest,
      isOutputCache: row.name === OUTPUT_CACHE
    });
  }
  return table;
}

interface IRowLayout {
  context: ITableContext;
  largest: number;
  isOutputCache?: boolean;
}

function addRow(
  tbody: HTMLTableSectionElement,
  sizes: IVariableRow | IChildRow,
  label: string,
  path: PathStep[],
  depth: number,
  layout: IRowLayout
): void {
  const { context } = layout;
  const isOutputCache = !!layout.isOutputCache;
  const units = context.units;
  const expansion = context.model?.expansions.get(pathKey(path));
  const tr = tbody.insertRow();
  tr.className = 'jp-MemlensVariables-row';
  tr.dataset.depth = String(depth);
  tr.dataset.name = label;
  tr.classList.toggle('jp-mod-outputCache', isOutputCache);

  const nameCell = tr.insertCell();
  nameCell.className = 'jp-MemlensVariables-name';
  nameCell.style.paddingLeft = `${4 + depth * 12}px`;
  if (sizes.expandable) {
    const toggle = document.createElement('button');
    toggle.className = 'jp-MemlensVariables-toggle';
    toggle.textContent = expansion ? '▾' : '▸';
    toggle.setAttribute('aria-expanded', String(!!expansion));
    toggle.setAttribute(
      'aria-label',
      `${expansion ? 'Collapse' : 'Expand'} ${label}`
    );
    toggle.addEventListener('click', () => {
      if (expansion) {
        context.onCollapse(path);
      } else {
        context.onExpand(path);
      }
    });
    nameCell.append(toggle);
  }
  const name = document.createElement('span');
  name.className = 'jp-MemlensVariables-label';
  name.textContent = isOutputCache ? 'Out (output cache)' : label;
  name.title = label;
  nameCell.append(name);
  const warnings = warningFlags(sizes.flags);
  if (warnings.length) {
    const flag = document.createElement('span');
    flag.className = 'jp-MemlensVariables-flag';
    flag.textContent = '⚠';
    flag.title = flagsText(warnings);
    flag.setAttribute('aria-label', flagsText(warnings));
    nameCell.append(flag);
  }
  const secondary = secondaryText(sizes, context.shown);
  if (secondary) {
    const line = document.createElement('div');
    line.className = 'jp-MemlensVariables-secondary';
    line.textContent = secondary;
    line.title = secondary;
    nameCell.append(line);
  }
  const keptFrom = 'kept_from' in sizes ? sizes.kept_from : undefined;
  const kept = keptText(keptFrom);
  if (kept) {
    const hint = document.createElement('div');
    hint.className = 'jp-MemlensVariables-kept';
    hint.textContent = kept;
    hint.title = keptTooltip(keptFrom);
    nameCell.append(hint);
  }
  const shared = sharedLine(sizes, units);
  const sharedWhy = sharedTooltip(sizes, units);
  if (shared) {
    const line = document.createElement('div');
    line.className = 'jp-MemlensVariables-shared';
    line.textContent = shared;
    line.title = sharedWhy;
    nameCell.append(line);
  }
  // GPU memory it reaches (issue #10): its own line, never in the host sizes;
  // left out while the GPU column says it.
  const gpu = context.shown.includes('device')
    ? null
    : deviceBytesText(sizes, units);
  if (gpu) {
    const line = document.createElement('div');
    line.className = 'jp-MemlensVariables-secondary jp-MemlensVariables-gpu';
    line.textContent = gpu;
    // The line can be cut at 250 px: the tooltip repeats it in full.
    line.title = `${gpu}: GPU (device) memory it reaches, each buffer once; not in Deep or Retained, which are RAM`;
    nameCell.append(line);
  }
  // Every flag, including those the "≥" already says, in the row's tooltip.
  const why = flagsText(sizes.flags);
  const cells: Array<[SortKey, string]> = [
    ['type', sizes.type],
    ['shape', sizes.shape ?? ''],
    ['getsizeof', formatBytes(sizes.getsizeof, units)],
    ['deep', sizeText(sizes.deep, sizes.partial, units)],
    ['retained', retainedText(sizes.retained, retainedIsApprox(sizes), units)],
    ['ratio', ratioText(sizes)],
    ['device', deviceText(sizes, units)]
  ];
  for (const [key, text] of cells) {
    const td = tr.insertCell();
    td.dataset.key = key;
    // Columns not shown stay in the DOM, hidden: choosing one is a re-render
    // away, and the row keeps all its numbers for whoever reads the page.
    td.hidden = !context.shown.includes(key);
    const tips = [text, why, key === 'retained' ? sharedWhy : ''];
    td.title = tips.filter(Boolean).join('\n');
    if (key !== 'retained') {
      td.textContent = text;
      continue;
    }
    const value = document.createElement('span');
    value.className = 'jp-MemlensVariables-value';
    value.textContent = text;
    const bar = document.createElement('div');
    bar.className = 'jp-MemlensVariables-bar';
    const fill = document.createElement('div');
    fill.style.width = `${barPercent(sizes.retained, layout.largest).toFixed(1)}%`;
    bar.append(fill);
    td.append(value, bar);
  }

  if (!expansion) {
    return;
  }
  const page = expansion.page;
  for (const child of page?.children ?? []) {
    addRow(tbody, child, child.label, [...path, child.step], depth + 1, {
      context,
      largest: layout.largest
    });
  }
  const left = page ? page.total - page.children.length : 0;
  if (expansion.loading || expansion.error || left > 0) {
    const more = tbody.insertRow();
    more.className = 'jp-MemlensVariables-more';
    const td = more.insertCell();
    td.colSpan = context.shown.length;
    td.style.paddingLeft = `${16 + depth * 12}px`;
    if (expansion.loading) {
      td.textContent = 'Loading…';
    } else if (expansion.error) {
      td.textContent = expansion.error;
    } else {
      const button = document.createElement('button');
      button.className = 'jp-MemlensVariables-showMore jp-mod-styled';
      button.textContent = `Show ${Math.min(left, PAGE_SIZE)} more of ${left}`;
      button.addEventListener('click', () => context.onMore(path));
      td.append(button);
    }
  }
}
