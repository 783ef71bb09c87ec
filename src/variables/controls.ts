/**
 * The Variables section's keyboard-reachable controls: a sort select (every
 * column offered can sort, even one not shown) and a column chooser.
 */

import { COLUMNS, FIXED_COLUMNS, OPTIONAL_COLUMNS } from './columns';
import type { SortKey } from './rows';

/** A select of every column; picking one sorts by it (the same one flips the order). */
export function createSortSelect(
  initial: SortKey,
  onSort: (key: SortKey) => void
): HTMLSelectElement {
  const select = document.createElement('select');
  select.className = 'jp-MemlensVariables-sort jp-mod-styled';
  select.setAttribute('aria-label', 'Sort variables by');
  select.title = 'Sort variables by';
  for (const column of COLUMNS) {
    const option = document.createElement('option');
    option.value = column.key;
    option.textContent = `Sort: ${column.title}`;
    select.append(option);
  }
  select.value = initial;
  select.addEventListener('change', () => onSort(select.value as SortKey));
  return select;
}

/**
 * Shows in the select only the columns offered now (the fixed ones and
 * `offered`: without GPU data there is no GPU column to sort by), with
 * `sortKey` selected.
 */
export function syncSortSelect(
  select: HTMLSelectElement,
  sortKey: SortKey,
  offered: ReadonlyArray<SortKey>
): void {
  for (const option of select.options) {
    const key = option.value as SortKey;
    option.hidden = !FIXED_COLUMNS.includes(key) && !offered.includes(key);
  }
  select.value = sortKey;
}

/**
 * The optional columns as checkboxes in a disclosure (a summary is focusable
 * and opens with Enter or Space). The section brings it up to date on each
 * render with `syncColumnChooser`.
 */
export function createColumnChooser(
  onToggle: (key: SortKey, checked: boolean) => void
): HTMLDetailsElement {
  const details = document.createElement('details');
  details.className = 'jp-MemlensVariables-columns';
  const summary = document.createElement('summary');
  summary.textContent = 'Columns';
  summary.title = 'Choose the columns to show';
  details.append(summary);
  const list = document.createElement('div');
  list.className = 'jp-MemlensVariables-columnList';
  for (const column of COLUMNS.filter(c => OPTIONAL_COLUMNS.includes(c.key))) {
    const label = document.createElement('label');
    label.title = column.caption;
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.dataset.key = column.key;
    box.addEventListener('change', () => onToggle(column.key, box.checked));
    label.append(box, ` ${column.title}`);
    list.append(label);
  }
  details.append(list);
  return details;
}

/**
 * Checks the box of each shown column, and leaves out the columns not
 * offered now (the GPU one without GPU data).
 */
export function syncColumnChooser(
  chooser: HTMLElement,
  shown: ReadonlyArray<SortKey>,
  offered: ReadonlyArray<SortKey>
): void {
  for (const box of chooser.querySelectorAll<HTMLInputElement>(
    'input[data-key]'
  )) {
    const key = box.dataset.key as SortKey;
    box.checked = shown.includes(key);
    const label = box.closest('label');
    if (label) {
      label.hidden = !offered.includes(key);
    }
  }
}
