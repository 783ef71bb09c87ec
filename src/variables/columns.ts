/**
 * Pure: which columns of the Variables table are shown, and how a row reads at
 * JupyterLab's default sidebar width (250 px), where only the name and the
 * retained size (with a bar) fit.
 */

import type { SortKey } from './rows';

/** A column of the table: its sort key, heading and what it means. */
export interface IColumn {
  key: SortKey;
  title: string;
  caption: string;
}

/** Every column, in the order the table shows them. */
export const COLUMNS: ReadonlyArray<IColumn> = [
  { key: 'name', title: 'Name', caption: 'Variable name' },
  { key: 'type', title: 'Type', caption: 'Python type' },
  { key: 'shape', title: 'Shape', caption: 'Shape or length' },
  {
    key: 'getsizeof',
    title: 'getsizeof',
    caption: 'What sys.getsizeof says (shallow)'
  },
  { key: 'deep', title: 'Deep', caption: 'Bytes reachable from the variable' },
  {
    key: 'retained',
    title: 'Retained',
    caption: 'Bytes deleting it would free'
  },
  {
    key: 'ratio',
    title: 'Deep ÷ getsizeof',
    caption: 'How much getsizeof understates'
  },
  {
    key: 'device',
    title: 'GPU',
    caption:
      'GPU (device) memory it reaches, each buffer counted once; never in Deep or Retained, which are RAM'
  }
];

/** Always shown: what the variable is and the size that matters. */
export const FIXED_COLUMNS: ReadonlyArray<SortKey> = ['name', 'retained'];

/** Shown on demand (the column chooser) or when the section is wide. */
export const OPTIONAL_COLUMNS: ReadonlyArray<SortKey> = COLUMNS.map(
  column => column.key
).filter(key => !FIXED_COLUMNS.includes(key));

/**
 * Whether any row reaches GPU memory. Only then is the GPU column offered:
 * without a GPU the table and its chooser stay as they were.
 */
export function hasDeviceBytes(
  rows: ReadonlyArray<{ device_bytes?: number }>
): boolean {
  return rows.some(row => (row.device_bytes ?? 0) > 0);
}

/** The optional columns that can be shown now: all but the GPU one when no row reaches GPU memory. */
export function offeredColumns(device: boolean): SortKey[] {
  return OPTIONAL_COLUMNS.filter(key => device || key !== 'device');
}

/**
 * From this width (px) up every host column fits (the table needs ~620 px at
 * the sidebar's font), so all are shown unless the user chose columns.
 */
export const WIDE_PX = 620;

/** What the GPU column adds to the width all columns need (measured ~65 px). */
export const DEVICE_COLUMN_PX = 70;

/** The width (px) from which every offered column fits. */
export function widePx(offered: ReadonlyArray<SortKey>): number {
  return WIDE_PX + (offered.includes('device') ? DEVICE_COLUMN_PX : 0);
}

/**
 * The keys of the columns to show, in table order: the name and the retained
 * size, and of the `offered` columns the user's choice when there is one
 * (null: none made), else all when the section is wide enough for them all,
 * else none.
 */
export function shownColumns(
  chosen: ReadonlySet<SortKey> | null,
  widthPx: number,
  offered: ReadonlyArray<SortKey>
): SortKey[] {
  return COLUMNS.map(column => column.key).filter(
    key =>
      FIXED_COLUMNS.includes(key) ||
      (offered.includes(key) &&
        (chosen === null ? widthPx >= widePx(offered) : chosen.has(key)))
  );
}

/**
 * The saved column choice (setting `variablesColumns`) as a set of optional
 * column keys; unknown keys are dropped; null: none chosen.
 */
export function chosenColumns(settings: {
  variablesColumns: ReadonlyArray<string> | null;
}): ReadonlySet<SortKey> | null {
  const saved = settings.variablesColumns;
  if (saved === null) {
    return null;
  }
  return new Set(OPTIONAL_COLUMNS.filter(key => saved.includes(key)));
}

/**
 * The secondary line under a name: type and shape, unless their own columns
 * show them.
 */
export function secondaryText(
  row: { type: string; shape: string | null },
  shown: ReadonlyArray<SortKey>
): string {
  const parts: string[] = [];
  if (!shown.includes('type')) {
    parts.push(row.type);
  }
  if (!shown.includes('shape') && row.shape) {
    parts.push(row.shape);
  }
  return parts.join(' · ');
}

/** The bar's width in percent of the largest size shown (0–100; 0 when nothing is sized). */
export function barPercent(bytes: number, largest: number): number {
  if (!(largest > 0) || !(bytes > 0)) {
    return 0;
  }
  return Math.min(100, (bytes / largest) * 100);
}

/**
 * Flags that change how to read a row's numbers, and so earn a ⚠. Lower
 * bounds (`budget`, `capped`, `interrupted`) are already marked "≥" on the
 * number; `deep_nesting` leaves the sizes exact.
 */
const NOT_WARNINGS: ReadonlySet<string> = new Set([
  'budget',
  'capped',
  'interrupted',
  'deep_nesting',
  // Its "≈" on the retained size says it.
  'retained_stale'
]);

/** The flags among `flags` worth a ⚠. */
export function warningFlags(flags: ReadonlyArray<string>): string[] {
  return flags.filter(flag => !NOT_WARNINGS.has(flag));
}

/** The next sort after the user picks `key`: the same key flips order; a new one starts descending for sizes. */
export function nextSort(
  current: { key: SortKey; descending: boolean },
  key: SortKey
): { key: SortKey; descending: boolean } {
  if (current.key === key) {
    return { key, descending: !current.descending };
  }
  return { key, descending: !['name', 'type', 'shape'].includes(key) };
}
