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
  }
];

/** Always shown: what the variable is and the size that matters. */
export const FIXED_COLUMNS: ReadonlyArray<SortKey> = ['name', 'retained'];

/** Shown on demand (the column chooser) or when the section is wide. */
export const OPTIONAL_COLUMNS: ReadonlyArray<SortKey> = COLUMNS.map(
  column => column.key
).filter(key => !FIXED_COLUMNS.includes(key));

/**
 * From this width (px) up every column fits (the table needs ~620 px at the
 * sidebar's font), so all are shown unless the user chose columns.
 */
export const WIDE_PX = 620;

/**
 * The keys of the columns to show, in table order: the user's choice when
 * there is one (null: none made), else all when the section is wide, else only
 * the name and the retained size.
 */
export function shownColumns(
  chosen: ReadonlySet<SortKey> | null,
  widthPx: number
): SortKey[] {
  return COLUMNS.map(column => column.key).filter(
    key =>
      FIXED_COLUMNS.includes(key) ||
      (chosen === null ? widthPx >= WIDE_PX : chosen.has(key))
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
