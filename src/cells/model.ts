import { Signal, type ISignal } from '@lumino/signaling';

import type { ICellRecord, ILastExit } from '../wire/protocol';

/**
 * One row of the history: a cell's record, the start of a new kernel process,
 * or how the previous process ended (its `last_exit` report; `pid` is the dead
 * process's).
 */
export type HistoryEntry =
  | { kind: 'record'; pid: number; record: ICellRecord }
  | { kind: 'restart'; pid: number }
  | { kind: 'exit'; pid: number | null; report: ILastExit };

/** Most records kept per notebook in the browser. */
const MAX_ENTRIES = 2000;

/**
 * The execution history of one notebook's kernel, across restarts. State and a
 * signal: only the notebook's connection handler writes it.
 */
export class CellHistoryModel {
  /** Emitted after every change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Oldest first. */
  get entries(): ReadonlyArray<HistoryEntry> {
    return this._entries;
  }

  /** The pid of the kernel process whose records come last. */
  get pid(): number | null {
    return this._pid;
  }

  /** The highest record seq received from the current process. */
  get lastSeq(): number {
    return this._lastSeq;
  }

  /** Whether the kernel runs in precise (tracemalloc) mode. */
  get precise(): boolean {
    return this._precise;
  }

  /** The newest record of a cell, from any kernel process. */
  latestFor(cellId: string): ICellRecord | null {
    return this._latest.get(cellId) ?? null;
  }

  /**
   * How the kernel ended while this cell ran, unless the cell has run again
   * since (a newer record replaces the mark).
   */
  exitFor(cellId: string): ILastExit | null {
    return this._exits.get(cellId) ?? null;
  }

  /**
   * The previous kernel process ended this way (the new kernel's `last_exit`).
   * Kept once per dead process (a reconnect to the same kernel reports it
   * again); returns whether it was new. Goes before the restart marker that
   * the new process's connection added.
   */
  addExit(report: ILastExit): boolean {
    const key = `${report.pid}:${report.updated}`;
    if (this._exitKeys.has(key)) {
      return false;
    }
    this._exitKeys.add(key);
    const entry: HistoryEntry = { kind: 'exit', pid: report.pid, report };
    const restart = this._entries.map(e => e.kind).lastIndexOf('restart');
    if (restart >= 0) {
      this._entries.splice(restart, 0, entry);
    } else {
      this._entries.push(entry);
    }
    const cellId = report.cell_id;
    // The new process may have run the cell again before the report came.
    const ranAgain = this._entries.some(
      e =>
        e.kind === 'record' &&
        e.pid === this._pid &&
        e.record.cell_id === cellId
    );
    if (cellId !== null && !ranAgain) {
      this._exits.set(cellId, report);
      this._latest.delete(cellId);
    }
    this._changed.emit();
    return true;
  }

  /**
   * Start following a kernel process. A pid other than the current one marks a
   * restart (when there was history before) and resets the cursor.
   */
  follow(pid: number): void {
    if (pid === this._pid) {
      return;
    }
    if (this._pid !== null && this._entries.length > 0) {
      this._entries.push({ kind: 'restart', pid });
    }
    this._pid = pid;
    this._lastSeq = 0;
    this._changed.emit();
  }

  /** Add records of the current process (oldest first); duplicates are ignored. */
  add(records: ReadonlyArray<ICellRecord>, precise: boolean): void {
    const pid = this._pid;
    if (pid === null) {
      return;
    }
    let changed = precise !== this._precise;
    this._precise = precise;
    for (const record of records) {
      if (record.seq <= this._lastSeq) {
        continue;
      }
      this._lastSeq = record.seq;
      this._entries.push({ kind: 'record', pid, record });
      if (record.cell_id !== null) {
        this._latest.set(record.cell_id, record);
        this._exits.delete(record.cell_id);
      }
      changed = true;
    }
    if (this._entries.length > MAX_ENTRIES) {
      this._entries.splice(0, this._entries.length - MAX_ENTRIES);
    }
    if (changed) {
      this._changed.emit();
    }
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _entries: HistoryEntry[] = [];
  private _latest = new Map<string, ICellRecord>();
  private _exits = new Map<string, ILastExit>();
  private _exitKeys = new Set<string>();
  private _pid: number | null = null;
  private _lastSeq = 0;
  private _precise = false;
  private _changed = new Signal<this, void>(this);
}
