/** Pure: sorting, filtering and wording of variable rows. */

import { formatBytes } from '../common/format';
import type { ISizes, IVariableRow } from '../wire/protocol';
import type { Units } from '../common/settings';

/** A column the table sorts by. */
export type SortKey =
  | 'name'
  | 'type'
  | 'shape'
  | 'getsizeof'
  | 'deep'
  | 'retained'
  | 'ratio'
  | 'device';

/** deep ÷ getsizeof: how much a shallow size understates; null when unknown. */
export function ratio(sizes: ISizes): number | null {
  return sizes.getsizeof === null || sizes.getsizeof <= 0
    ? null
    : sizes.deep / sizes.getsizeof;
}

/** A size, prefixed with ≥ when the walk stopped early. */
export function sizeText(
  bytes: number | null,
  partial: boolean,
  units: Units
): string {
  const text = formatBytes(bytes, units);
  return partial && bytes !== null ? `≥ ${text}` : text;
}

/**
 * A retained size: prefixed with ≈ when the walk stopped early, since a cut
 * walk's retained size is not a bound either way (objects it reached first may
 * be held by roots whose walks never reached them).
 */
export function retainedText(
  bytes: number,
  partial: boolean,
  units: Units
): string {
  const text = formatBytes(bytes, units);
  return partial ? `≈ ${text}` : text;
}

/**
 * The GPU column's text: the device bytes a variable reaches (`≥` when its
 * walk was cut short); a dash when it reaches none.
 */
export function deviceText(
  sizes: { device_bytes?: number; partial: boolean },
  units: Units
): string {
  const bytes = sizes.device_bytes ?? 0;
  return bytes > 0 ? sizeText(bytes, sizes.partial, units) : '—';
}

/** A ratio as `12.5×`; a dash when unknown. */
export function ratioText(sizes: ISizes): string {
  const value = ratio(sizes);
  if (value === null) {
    return '—';
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)}×`;
}

/** Rows whose name or type contains the text (case-insensitive). */
export function filterRows<T extends IVariableRow>(
  rows: ReadonlyArray<T>,
  text: string
): T[] {
  const needle = text.trim().toLowerCase();
  if (!needle) {
    return [...rows];
  }
  return rows.filter(
    row =>
      row.name.toLowerCase().includes(needle) ||
      row.type.toLowerCase().includes(needle)
  );
}

function sortValue(row: IVariableRow, key: SortKey): number | string {
  switch (key) {
    case 'name':
    case 'type':
      return row[key].toLowerCase();
    case 'shape':
      return row.shape ?? '';
    case 'ratio':
      return ratio(row) ?? -1;
    case 'getsizeof':
      return row.getsizeof ?? -1;
    case 'device':
      // No device bytes sent: the variable reaches no GPU memory.
      return row.device_bytes ?? 0;
    default:
      return row[key];
  }
}

/** A sorted copy; ties keep name order so the table does not jump. */
export function sortRows<T extends IVariableRow>(
  rows: ReadonlyArray<T>,
  key: SortKey,
  descending: boolean
): T[] {
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    if (x < y) {
      return -sign;
    }
    if (x > y) {
      return sign;
    }
    return a.name.localeCompare(b.name);
  });
}

const FLAG_TEXT: Record<string, string> = {
  budget: 'the walk hit its time budget: sizes are lower bounds',
  capped:
    'the walk hit its memory cap (setting "Variables: memory cap (MiB)"): sizes are lower bounds',
  sizeof_raised: '__sizeof__ raised; its basic size is counted instead',
  sizeof_negative:
    '__sizeof__ returned a negative number; its basic size is counted instead',
  sizeof_absurd:
    '__sizeof__ returned an absurd number; its basic size is counted instead',
  mutated: 'the object changed, or the name was rebound, while it was measured',
  getattr_hostile: 'attribute access misbehaves; attributes were not followed',
  deep_nesting: 'nested more than 1,000 levels deep (sizes are still exact)',
  interrupted:
    'a cell started or the completion was cancelled, so the walk stopped: sizes are lower bounds until the next refresh (what it finished keeps its size)',
  retained_approx:
    "another variable's walk was cut short, so this retained size may be too high",
  fenced:
    'the walk stopped at objects that something outside this variable also holds',
  opaque:
    'holds memory memlens cannot see (ctypes buffer, StringIO, mmap, sqlite): sizes may be lower bounds',
  lazy: 'a lazy container (polars LazyFrame, dask, unloaded xarray): sizes are what it holds now, not what computing it would take',
  file_backed:
    "maps a file (numpy.memmap): the file's pages are the page cache's and are left out of the sizes",
  retained_stale:
    'sizes kept from the last complete walk while other variables changed: the deep size is exact, the retained size may be off either way (what they share with this one may have changed)'
};

/** Whether a row's retained size is approximate: its walk was cut, or it is kept while others changed. */
export function retainedIsApprox(sizes: {
  partial: boolean;
  flags: ReadonlyArray<string>;
}): boolean {
  return sizes.partial || sizes.flags.includes('retained_stale');
}

/** The short hint of a row whose sizes were kept from an earlier complete walk. */
export function keptText(keptFrom: number | undefined): string {
  return keptFrom === undefined ? '' : `kept from cell [${keptFrom}]`;
}

/** Why a kept row can be trusted, and where it cannot. */
export function keptTooltip(keptFrom: number | undefined): string {
  if (keptFrom === undefined) {
    return '';
  }
  return [
    `These sizes are from the complete walk after cell [${keptFrom}]: the variable is the same object and nothing its fingerprint reads has changed since (its type, lengths and sizes, and what it holds a few levels down).`,
    'Not seen: an in-place change deep inside a container that changes no length or size the fingerprint reads, such as big_list[12345].append(x) or new items of a numpy object array. Any cell that rebinds the name, or a change the fingerprint sees, walks it again; "Complete sizes" does too.'
  ].join('\n');
}

/** Flags in words, one per line; unknown flags are shown as they are. */
export function flagsText(flags: ReadonlyArray<string>): string {
  return flags.map(flag => FLAG_TEXT[flag] ?? flag).join('\n');
}
