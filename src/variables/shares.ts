/**
 * Pure: "who shares" — the other holders of the part of a variable it does
 * not retain (deep − retained), as the kernel names them in `shared_with`.
 */

import { formatBytes } from '../common/format';
import type { Units } from '../common/settings';
import type { ISharedWith } from '../wire/protocol';

/** Holders named on the row's secondary line; the tooltip names them all. */
export const SHOWN_HOLDERS = 2;

/** What a row needs for its sharing line (a child row has no `shared_with`). */
export interface IShares {
  deep: number;
  retained: number;
  shared_with?: ISharedWith[];
}

/** How a holder reads: `Out (output cache)`'s row is called `Out`. */
function holderText(holder: ISharedWith, units: Units): string {
  return `${holder.name} (${formatBytes(holder.bytes, units)})`;
}

/** The holders, when the row retains less than it reaches and the kernel named some. */
export function holders(row: IShares): ISharedWith[] {
  if (!(row.retained < row.deep) || !row.shared_with) {
    return [];
  }
  return row.shared_with;
}

/**
 * The short line under a row's name, readable at 250 px: `shared with df2
 * (150.0 MiB), Out (12.0 MiB) +1`; '' when nothing is shared with a named holder.
 */
export function sharedLine(row: IShares, units: Units): string {
  const all = holders(row);
  if (!all.length) {
    return '';
  }
  const named = all.slice(0, SHOWN_HOLDERS).map(h => holderText(h, units));
  const more = all.length - SHOWN_HOLDERS;
  return `shared with ${named.join(', ')}${more > 0 ? ` +${more}` : ''}`;
}

/**
 * The tooltip: every holder on its own line, with what deleting only this
 * variable would not free, and why the bytes are lower bounds.
 */
export function sharedTooltip(row: IShares, units: Units): string {
  const all = holders(row);
  if (!all.length) {
    return '';
  }
  const lines = [
    `${formatBytes(row.deep - row.retained, units)} of what this reaches is also held elsewhere (deleting only it would not free that part):`,
    ...all.map(h => `  ${holderText(h, units)}`),
    'Bytes are what each holder was seen to share; a part three or more hold is counted for the last two the walk met.'
  ];
  return lines.join('\n');
}
