/**
 * Pure: which cells hold memory now. Each record's `bound` names the
 * variables the cell bound or rebound; a name belongs to the latest record of
 * the current kernel process that bound it, and a cell holds the names it owns
 * that are still Variables rows, with their retained sizes, plus its `Out[n]`
 * while the output cache still pins it. What a cell's names share with one
 * another or with its own `Out[n]` is held by the cell as a whole: it is added
 * once (from the rows' `shared_with`), so that `log` shown by its own cell
 * (`log` and `Out[4]` share the log's lines, neither retains them alone)
 * counts the lines for that cell.
 */

import type { HistoryEntry } from './model';
import type { ICellRecord, IOutPin, IVariableRow } from '../wire/protocol';

/** A variable a cell holds. */
export interface IHeldName {
  name: string;
  /** Its retained size, in bytes. */
  retained: number;
  /**
   * Bytes it shares with the cell's other names or its `Out[n]`, counted
   * here once for the cell (0 when none).
   */
  shared: number;
  /**
   * The size is approximate: a cut walk, kept while others changed, or a
   * shared part (pairwise, as the walk met it).
   */
  approx: boolean;
}

/** The result a cell returned, still pinned by the output cache. */
export interface IHeldPin {
  /** The key in `Out`. */
  executionCount: number;
  /** Its deep size (what the cell's names may share with it). */
  deep: number;
  /**
   * Bytes only the output cache holds, or at most this many (`upperBound`):
   * the pin's deep size, capped by what the whole cache retains.
   */
  bytes: number;
  /** A variable may hold part of it: `bytes` is at most what Out alone holds. */
  upperBound: boolean;
  /** The kernel has not finished sizing it: `bytes` is a lower bound. */
  lowerBound: boolean;
}

/** One cell that holds memory now. */
export interface IHoldingCell {
  record: ICellRecord;
  names: IHeldName[];
  pin: IHeldPin | null;
  /** Everything it holds, in bytes (what the sort uses). */
  bytes: number;
}

/** What the join needs of the Variables reply. */
export interface IVariablesNow {
  rows: ReadonlyArray<IVariableRow>;
  /** The output cache's row (`Out`), null without one. */
  outputCache: IVariableRow | null;
}

/** The records of the newest kernel process, oldest first. */
function currentRecords(entries: ReadonlyArray<HistoryEntry>): ICellRecord[] {
  const records: ICellRecord[] = [];
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i];
    if (entry.kind === 'restart') {
      break;
    }
    if (entry.kind === 'record') {
      records.push(entry.record);
    }
  }
  return records.reverse();
}

function approx(row: IVariableRow): boolean {
  return row.partial || row.flags.includes('retained_stale');
}

/**
 * The pins, each capped by what the whole output cache retains: when all pins
 * together are more than that, a variable shares some of them, and each pin's
 * own part is at most the smaller of its deep size and the cache's retained.
 * An approximate `Out` row caps nothing: its retained size may be one kept
 * from before a variable let go of the result (`log = None` leaves `Out[4]`
 * the only holder while the kept row still says Out retains nothing), so the
 * pin is then its deep size, marked as possibly shared.
 */
function heldPins(
  pins: ReadonlyArray<IOutPin>,
  outputCache: IVariableRow | null
): Map<number, IHeldPin> {
  const total = pins.reduce((sum, pin) => sum + pin.deep, 0);
  const alone =
    outputCache === null || approx(outputCache) ? null : outputCache.retained;
  const shared = alone === null || total > alone;
  const held = new Map<number, IHeldPin>();
  for (const pin of pins) {
    held.set(pin.execution_count, {
      executionCount: pin.execution_count,
      deep: pin.deep,
      bytes: alone === null ? pin.deep : Math.min(pin.deep, alone),
      upperBound: shared,
      lowerBound: !pin.complete
    });
  }
  return held;
}

/**
 * For each cell of the current kernel process that holds something now: the
 * live names it bound last and its pinned `Out[n]`, most bytes first. Records
 * without `bound` (an older kernel, or a namespace too big to compare) own no
 * names. Null `variables`: the sizes are not known yet (only pins are shown).
 */
export function holdingNow(
  entries: ReadonlyArray<HistoryEntry>,
  variables: IVariablesNow | null,
  pins: ReadonlyArray<IOutPin>
): IHoldingCell[] {
  const records = currentRecords(entries);
  const owner = new Map<string, ICellRecord>();
  for (const record of records) {
    for (const name of record.bound ?? []) {
      owner.set(name, record);
    }
  }
  const rows = new Map((variables?.rows ?? []).map(row => [row.name, row]));
  const names = new Map<ICellRecord, IVariableRow[]>();
  for (const [name, record] of owner) {
    const row = rows.get(name);
    if (row) {
      names.set(record, [...(names.get(record) ?? []), row]);
    }
  }
  const pinned = heldPins(pins, variables?.outputCache ?? null);
  const cells: IHoldingCell[] = [];
  for (const record of records) {
    const pin =
      record.execution_count === null
        ? null
        : (pinned.get(record.execution_count) ?? null);
    const held = heldNames(names.get(record) ?? [], pin);
    if (held.length === 0 && pin === null) {
      continue;
    }
    const bytes =
      held.reduce((sum, name) => sum + name.retained + name.shared, 0) +
      (pin?.bytes ?? 0);
    cells.push({ record, names: held, pin, bytes });
  }
  return cells.sort((a, b) => b.bytes - a.bytes);
}

/**
 * A cell's names with what each shares with the cell's other names (each
 * pair counted once, by the first of the two) and with `Out` (only when the
 * cell has a pin, at most the pin's size in all), most bytes first.
 */
function heldNames(
  rows: ReadonlyArray<IVariableRow>,
  pin: IHeldPin | null
): IHeldName[] {
  const own = new Set(rows.map(row => row.name));
  const counted = new Set<string>();
  let outLeft = pin ? pin.deep : 0;
  const held: IHeldName[] = [];
  for (const row of rows) {
    let shared = 0;
    for (const other of row.shared_with ?? []) {
      if (other.name === 'Out') {
        const part = Math.min(other.bytes, outLeft);
        shared += part;
        outLeft -= part;
      } else if (own.has(other.name) && !counted.has(other.name)) {
        shared += other.bytes;
      }
    }
    counted.add(row.name);
    held.push({
      name: row.name,
      retained: row.retained,
      shared,
      approx: approx(row) || shared > 0
    });
  }
  return held.sort((a, b) => b.retained + b.shared - (a.retained + a.shared));
}
