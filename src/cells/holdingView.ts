/**
 * The Cells section's "Holding now" view: for each cell that holds memory now,
 * its number, its first line and the bytes it holds, then the variables it
 * bound last and its `Out[n]`, most bytes first. Narrow-first: two lines a
 * cell, no table columns, so it reads at the sidebar's 250 px.
 */

import { formatBytes } from '../common/format';
import type { Units } from '../common/settings';
import type { IHeldPin, IHoldingCell } from './holding';

function text(tag: string, className: string, content: string): HTMLElement {
  const node = document.createElement(tag);
  node.className = className;
  node.textContent = content;
  return node;
}

/**
 * `Out[7] 100.0 MiB`, with ≤ when a variable may share it, ≥ while unfinished;
 * `Out[7] shared` when the cache holds nothing of its own.
 */
export function pinText(pin: IHeldPin, units: Units): string {
  if (pin.upperBound && pin.bytes === 0) {
    // Nothing is Out's alone: a variable holds all of it too.
    return `Out[${pin.executionCount}] shared`;
  }
  const mark = pin.lowerBound ? '≥ ' : pin.upperBound ? '≤ ' : '';
  return `Out[${pin.executionCount}] ${mark}${formatBytes(pin.bytes, units)}`;
}

/** The cell's total: ≈ when a part is approximate, ≥ while a pin is unfinished. */
export function totalText(cell: IHoldingCell, units: Units): string {
  const approx =
    cell.names.some(name => name.approx) || (cell.pin?.upperBound ?? false);
  const mark = cell.pin?.lowerBound ? '≥ ' : approx ? '≈ ' : '';
  return `${mark}${formatBytes(cell.bytes, units)}`;
}

/** What each held thing is: `df 1.0 GiB`, `b 20.0 MiB`, `Out[3] 5.0 MiB`. */
export function heldParts(cell: IHoldingCell, units: Units): string[] {
  const parts = cell.names.map(
    name =>
      `${name.name} ${name.approx ? '≈ ' : ''}${formatBytes(name.retained + name.shared, units)}`
  );
  if (cell.pin) {
    parts.push(pinText(cell.pin, units));
  }
  return parts;
}

/** The held things as one line: `df 1.0 GiB · b 20.0 MiB · Out[3] 5.0 MiB`. */
export function partsText(cell: IHoldingCell, units: Units): string {
  return heldParts(cell, units).join(' · ');
}

/** The view, or a sentence when nothing is held or the sizes are not known yet. */
export function renderHolding(
  cells: ReadonlyArray<IHoldingCell>,
  options: {
    units: Units;
    sized: boolean;
    onSelect: (cellId: string) => void;
  }
): HTMLElement {
  const root = document.createElement('div');
  root.className = 'jp-MemlensHolding';
  root.append(
    text(
      'p',
      'jp-MemlensHolding-note',
      'What each cell still holds: the variables it bound last (retained sizes) and its Out[n].'
    )
  );
  if (cells.length === 0) {
    root.append(
      text(
        'p',
        'jp-MemlensHolding-empty',
        options.sized ? 'No cell holds memory now.' : 'Sizing the variables…'
      )
    );
    return root;
  }
  const list = document.createElement('ol');
  list.className = 'jp-MemlensHolding-list';
  for (const cell of cells) {
    const record = cell.record;
    const item = document.createElement('li');
    item.className = 'jp-MemlensHolding-cell';
    item.dataset.executionCount = String(record.execution_count ?? '');
    const head = document.createElement('div');
    head.className = 'jp-MemlensHolding-head';
    const preview = text('span', 'jp-MemlensHolding-preview', record.preview);
    preview.title = record.preview;
    head.append(
      text(
        'span',
        'jp-MemlensHolding-count',
        record.execution_count === null ? '' : `[${record.execution_count}]`
      ),
      preview,
      text('span', 'jp-MemlensHolding-bytes', totalText(cell, options.units))
    );
    // Each part on one piece (a size never wraps), the line wraps between them.
    const parts = document.createElement('div');
    parts.className = 'jp-MemlensHolding-parts';
    heldParts(cell, options.units).forEach((part, index) => {
      if (index > 0) {
        parts.append(' · ');
      }
      const piece = text('span', 'jp-MemlensHolding-part', part);
      piece.title = part;
      parts.append(piece);
    });
    item.append(head, parts);
    const cellId = record.cell_id;
    if (cellId !== null) {
      item.tabIndex = 0;
      item.title = 'Show this cell';
      item.addEventListener('click', () => options.onSelect(cellId));
      item.addEventListener('keydown', event => {
        if (event.key === 'Enter') {
          options.onSelect(cellId);
        }
      });
    }
    list.append(item);
  }
  root.append(list);
  return root;
}
