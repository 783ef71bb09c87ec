import { Signal, type ISignal } from '@lumino/signaling';

import type {
  ICellRecord,
  ILastExit,
  ILiveBody,
  IOutPin
} from '../wire/protocol';

/**
 * The kernel died while a cell ran, as the frontend saw it at that moment: the
 * cell and its last live reading (null when none had come). The new kernel's
 * `last_exit` report replaces it once it says why.
 */
export interface IDeath {
  /** The dead process's pid, if known. */
  pid: number | null;
  cellId: string;
  executionCount: number | null;
  /** The cell's last live reading before the death. */
  reading: ILiveBody | null;
  /** When the frontend saw the death (ms since the epoch). */
  seenAt: number;
}

/**
 * One row of the history: a cell's record, the start of a new kernel process,
 * how the previous process ended (its `last_exit` report; `pid` is the dead
 * process's), or a death seen by the frontend whose cause is not known yet.
 */
export type HistoryEntry =
  | { kind: 'record'; pid: number; record: ICellRecord }
  | { kind: 'restart'; pid: number }
  | { kind: 'exit'; pid: number | null; report: ILastExit }
  | { kind: 'died'; pid: number | null; death: IDeath };

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

  /**
   * The `after` of the next `cells` request: `lastSeq`, or lower so that the
   * kernel sends again the records whose output-cache pin it may still
   * complete (`output_cache_complete` false: it completes pins in the
   * background after each cell and updates the record, same seq): the newest
   * two records, and the newest record of each cell whose `Out[n]` the last
   * reply said is still incomplete.
   */
  get refetchAfter(): number {
    const pending = new Set(
      this._outPins.filter(pin => !pin.complete).map(pin => pin.execution_count)
    );
    let after = this._lastSeq;
    let seen = 0;
    for (let i = this._entries.length - 1; i >= 0; i--) {
      const entry = this._entries[i];
      if (entry.kind === 'restart' || (seen >= 2 && pending.size === 0)) {
        break;
      }
      if (entry.kind !== 'record' || entry.pid !== this._pid) {
        continue;
      }
      seen++;
      const record = entry.record;
      const count = record.execution_count;
      const pinned = count !== null && pending.delete(count);
      if (record.output_cache_complete === false && (seen <= 2 || pinned)) {
        after = Math.min(after, record.seq - 1);
      }
    }
    return after;
  }

  /**
   * What the kernel may still complete, as a key that changes when that
   * changes (the newest record's pin while nothing ran after it, `r<seq>`;
   * each `Out[n]` the last reply said is incomplete, `o<n>`); null when
   * nothing is being completed.
   */
  get awaitingCompletion(): string | null {
    const parts: string[] = [];
    for (let i = this._entries.length - 1; i >= 0; i--) {
      const entry = this._entries[i];
      if (entry.kind === 'record' && entry.pid === this._pid) {
        if (entry.record.output_cache_complete === false) {
          parts.push(`r${entry.record.seq}`);
        }
        break;
      }
      if (entry.kind === 'restart') {
        break;
      }
    }
    for (const pin of this._outPins) {
      if (!pin.complete) {
        parts.push(`o${pin.execution_count}`);
      }
    }
    return parts.length > 0 ? parts.join(',') : null;
  }

  /** What the output cache still pins, as the current process last said. */
  get outPins(): ReadonlyArray<IOutPin> {
    return this._outPins;
  }

  /** The current process's output-cache pins (from a `cells` reply). */
  setOutPins(pins: ReadonlyArray<IOutPin>): void {
    const same =
      pins.length === this._outPins.length &&
      pins.every((pin, i) => {
        const held = this._outPins[i];
        return (
          pin.execution_count === held.execution_count &&
          pin.deep === held.deep &&
          pin.complete === held.complete
        );
      });
    if (!same) {
      this._outPins = pins;
      this._changed.emit();
    }
  }

  /** Whether the kernel runs in precise (tracemalloc) mode. */
  get precise(): boolean {
    return this._precise;
  }

  /** The running cell's latest live reading; null while no cell runs. */
  get running(): ILiveBody | null {
    return this._running;
  }

  /** A live reading of the running cell arrived (null: no cell runs now). */
  setRunning(reading: ILiveBody | null): void {
    if (reading === this._running) {
      return;
    }
    this._running = reading && reading.running ? reading : null;
    this._changed.emit();
  }

  /**
   * The kernel died while this cell ran and its cause is not known yet (the
   * new kernel's report replaces the mark).
   */
  deathFor(cellId: string): IDeath | null {
    return this._deaths.get(cellId) ?? null;
  }

  /**
   * The kernel died now, while the cell `cellId` ran: mark it at once with
   * its last live reading. Once per process; returns whether it was new.
   */
  markDeath(cellId: string, executionCount: number | null): boolean {
    const pid = this._pid;
    if (pid !== null && this._deadPids.has(pid)) {
      return false;
    }
    if (pid !== null) {
      this._deadPids.add(pid);
    }
    const reading =
      this._running && this._running.cell_id === cellId ? this._running : null;
    const death: IDeath = {
      pid,
      cellId,
      executionCount: reading?.execution_count ?? executionCount,
      reading,
      seenAt: Date.now()
    };
    this._running = null;
    this._entries.push({ kind: 'died', pid, death });
    this._deaths.set(cellId, death);
    this._exits.delete(cellId);
    this._latest.delete(cellId);
    this._changed.emit();
    return true;
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
    // The death the frontend saw of this process: the report says why, in its place.
    const died = this._entries.findIndex(
      e => e.kind === 'died' && e.pid !== null && e.pid === report.pid
    );
    const restart = this._entries.map(e => e.kind).lastIndexOf('restart');
    if (died >= 0) {
      const old = this._entries[died];
      if (old.kind === 'died') {
        this._deaths.delete(old.death.cellId);
      }
      this._entries.splice(died, 1, entry);
    } else if (restart >= 0) {
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
    this._outPins = [];
    this._changed.emit();
  }

  /**
   * Add records of the current process (oldest first). A record already held
   * replaces the held one when the kernel completed its output-cache pin since
   * (same seq); other duplicates are ignored.
   */
  add(records: ReadonlyArray<ICellRecord>, precise: boolean): void {
    const pid = this._pid;
    if (pid === null) {
      return;
    }
    let changed = precise !== this._precise;
    this._precise = precise;
    for (const record of records) {
      if (record.seq <= this._lastSeq) {
        changed = this._completed(pid, record) || changed;
        continue;
      }
      this._lastSeq = record.seq;
      this._entries.push({ kind: 'record', pid, record });
      if (record.cell_id !== null) {
        this._latest.set(record.cell_id, record);
        this._exits.delete(record.cell_id);
        this._deaths.delete(record.cell_id);
        if (this._running?.cell_id === record.cell_id) {
          this._running = null; // the cell ended: its record replaces the live reading
        }
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

  /**
   * Replace the held record with this seq by `record` when its output-cache
   * pin changed (the kernel completed it); returns whether it did.
   */
  private _completed(pid: number, record: ICellRecord): boolean {
    for (let i = this._entries.length - 1; i >= 0; i--) {
      const entry = this._entries[i];
      if (entry.kind === 'restart') {
        return false;
      }
      if (
        entry.kind !== 'record' ||
        entry.pid !== pid ||
        entry.record.seq !== record.seq
      ) {
        continue;
      }
      const held = entry.record;
      if (
        held.output_cache_complete === record.output_cache_complete &&
        held.output_cache_delta === record.output_cache_delta
      ) {
        return false;
      }
      this._entries[i] = { kind: 'record', pid, record };
      if (held.cell_id !== null && this._latest.get(held.cell_id) === held) {
        this._latest.set(held.cell_id, record);
      }
      return true;
    }
    return false;
  }

  private _entries: HistoryEntry[] = [];
  private _latest = new Map<string, ICellRecord>();
  private _exits = new Map<string, ILastExit>();
  private _exitKeys = new Set<string>();
  private _deaths = new Map<string, IDeath>();
  private _deadPids = new Set<number>();
  private _running: ILiveBody | null = null;
  private _pid: number | null = null;
  private _lastSeq = 0;
  private _outPins: ReadonlyArray<IOutPin> = [];
  private _precise = false;
  private _changed = new Signal<this, void>(this);
}
