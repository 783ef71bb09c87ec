/**
 * The Variables section's keyboard-reachable controls: a sort select (every
 * column can sort, even one not shown) and a column chooser.
 */

import { COLUMNS, OPTIONAL_COLUMNS } from './columns';
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
 * The optional columns as checkboxes in a disclosure (a summary is focusable
 * and opens with Enter or Space). The section sets `checked` on each render
 * (`input[data-key]`).
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
