import type { Kernel } from '@jupyterlab/services';

import type { CellHistoryModel } from '../cells/model';
import type { KernelModel } from '../kernel/model';
import type { ILiveBody } from '../wire/protocol';

/** Kernel statuses that say the kernel died (not a restart the user asked for). */
const DEATHS = new Set<Kernel.Status>(['autorestarting', 'dead']);

/** A cell the notebook shows running. */
export interface IRunningCell {
  id: string;
  executionCount: number | null;
}

/**
 * The running cell's live reading and the kernel's death: shows the reading
 * the kernel pushes while a cell runs, marks the running cell the moment the
 * kernel dies (its cause comes with the next kernel's report), and forgets the
 * reading once the kernel is idle.
 */
export class KernelLiveness {
  constructor(options: KernelLiveness.IOptions) {
    this._model = options.model;
    this._history = options.history;
    this._runningCell = options.runningCell;
  }

  /** The kernel's status changed (or was seen again). */
  watch(status: Kernel.Status): void {
    const previous = this._status;
    this._status = status;
    if (DEATHS.has(status) && !DEATHS.has(previous)) {
      const running = this._history.running;
      const cell = running?.cell_id
        ? { id: running.cell_id, executionCount: running.execution_count }
        : this._runningCell();
      if (cell) {
        this._history.markDeath(cell.id, cell.executionCount);
      }
      this.setLive(null);
    } else if (
      status === 'idle' &&
      (this._model.live || this._history.running)
    ) {
      this.setLive(null);
    }
  }

  /** Show the running cell's reading; null: no cell runs. */
  setLive(reading: ILiveBody | null): void {
    this._history.setRunning(reading);
    if (this._model.live !== reading) {
      this._model.update({ live: reading });
    }
  }

  private _model: KernelModel;
  private _history: CellHistoryModel;
  private _runningCell: () => IRunningCell | null;
  private _status: Kernel.Status = 'unknown';
}

/** KernelLiveness' options. */
export namespace KernelLiveness {
  export interface IOptions {
    model: KernelModel;
    history: CellHistoryModel;
    /** The cell the notebook shows running: which cell to mark when no live reading named it. */
    runningCell: () => IRunningCell | null;
  }
}
