import type { ISessionContext } from '@jupyterlab/apputils';
import type { IDisposable } from '@lumino/disposable';
import { Signal, type ISignal } from '@lumino/signaling';

import { CellHistoryModel } from '../cells/model';
import { DEFAULT_SETTINGS } from '../common/settings';
import { KernelModel } from '../kernel/model';
import { KernelMemoryReader } from './kernelMemory';
import { KernelSettings } from './kernelSettings';
import { KernelReadings } from './readings';
import { CompletionWatcher } from './completion';
import { SessionKeeper } from './lifecycle';
import { KernelLiveness, type IRunningCell as RunningCell } from './liveness';
import type { IKernelInfo, ILastExit } from '../wire/protocol';
import { type MemlensSession, RequestError } from '../wire/session';
import { VariablesFetcher } from '../variables/fetcher';

export { explainFailure } from './lifecycle';

/**
 * Keeps one notebook's memlens session in step with its kernel (opening and
 * reopening it is the SessionKeeper's, in lifecycle.ts) and routes requests:
 * readings, cells, settings, variables, the kernel's memory. The only writer
 * of the notebook's KernelModel. Reads memory again only while active (someone
 * shows it), like the table of contents' model.
 */
export class NotebookConnection implements IDisposable {
  constructor(options: NotebookConnection.IOptions) {
    this.refreshAfterCell =
      options.refreshAfterCell ?? DEFAULT_SETTINGS.refreshAfterCell;
    this.model = new KernelModel({ notebookName: options.notebookName });
    this.history = new CellHistoryModel();
    this._settings = new KernelSettings({
      session: () => this.session,
      report: error => this._report(error),
      precise: options.precise
    });
    this._readings = new KernelReadings({
      session: () => this.session,
      current: () => this._keeper.session,
      model: this.model,
      history: this.history,
      report: error => this._report(error)
    });
    this._liveness = new KernelLiveness({
      model: this.model,
      history: this.history,
      runningCell: options.runningCell ?? (() => null)
    });
    this.kernelMemory = new KernelMemoryReader({
      session: () => this.session,
      model: this.model
    });
    this.variables = new VariablesFetcher({
      session: () => this.session,
      budgetMs: options.variablesBudgetMs ?? DEFAULT_SETTINGS.variablesBudgetMs,
      memoryCapMiB:
        options.variablesMemoryCapMiB ?? DEFAULT_SETTINGS.variablesMemoryCapMiB
    });
    this._completion = new CompletionWatcher({
      history: this.history,
      pull: () => this.pullCells()
    });
    // Last: the keeper may start connecting at once.
    this._keeper = new SessionKeeper({
      sessionContext: options.sessionContext,
      loadBootstrapCode: options.loadBootstrapCode,
      timeoutMs: options.timeoutMs,
      model: this.model,
      liveness: this._liveness,
      prepare: session => this._settings.applyTo(session),
      connected: (session, info, kernelName) =>
        this._onConnected(session, info, kernelName)
    });
  }

  /** What the sidebar shows for this notebook. */
  readonly model: KernelModel;

  /** What the kernel's RSS is made of, and the actions that free memory. */
  readonly kernelMemory: KernelMemoryReader;

  /** The cells this notebook's kernel has run, with their readouts. */
  readonly history: CellHistoryModel;

  /** Variable sizes of this notebook's kernel. */
  readonly variables: VariablesFetcher;

  /** Read memory again after each cell run, while active. */
  refreshAfterCell: boolean;

  /**
   * Emitted when a new kernel says how its predecessor ended (killed for lack
   * of memory, killed, crashed, exited); not for a clean restart.
   */
  get exitReported(): ISignal<this, ILastExit> {
    return this._exitReported;
  }

  /**
   * Whether the readings are shown (the sidebar is visible and follows this
   * notebook). Becoming active reads memory again: readings may be stale.
   */
  get isActive(): boolean {
    return this._isActive;
  }

  set isActive(active: boolean) {
    if (active === this._isActive) {
      return;
    }
    this._isActive = active;
    if (active) {
      void this.refresh();
      void this.kernelMemory.refresh();
    }
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** The live session, if connected. */
  get session(): MemlensSession | null {
    return this.model.state === 'connected' ? this._keeper.session : null;
  }

  /** The notebook was renamed or moved. */
  setNotebookName(name: string): void {
    this.model.update({ notebookName: name });
  }

  /** Read the kernel's memory again; overlapping calls are merged. */
  refresh(): Promise<void> {
    return this._readings.refresh();
  }

  /** Fetch the records of cells run since the last fetch; overlapping calls are merged. */
  pullCells(): Promise<void> {
    return this._readings.pullCells();
  }

  /**
   * A cell of this notebook finished running: fetch its record and, if the
   * setting asks and someone is looking, fresh readings and variable sizes.
   */
  cellRan(): void {
    void this.pullCells();
    if (!this.refreshAfterCell) {
      return;
    }
    if (this._isActive) {
      void this.refresh();
      void this.kernelMemory.refresh();
    }
    if (this.variables.isActive) {
      void this.variables.refresh();
    }
  }

  /** Turn precise (tracemalloc) mode on or off in the kernel. */
  setPrecise(precise: boolean): Promise<void> {
    return this._settings.setPrecise(precise);
  }

  /** The peak reset and the memory guard, sent to the kernel now and at each start. */
  setMemorySettings(exactPeak: boolean, guardShare: number): Promise<void> {
    return this._settings.setMemory(exactPeak, guardShare);
  }

  /**
   * Whether something that shows live readings (the status bar, the Kernel
   * pane, this notebook's badges) is visible: the kernel pushes the running
   * cell's readings only then.
   */
  /** Reset torch's CUDA peak counter at each cell (sent only when off). */
  setGpuPeakReset(on: boolean): Promise<void> {
    return this._settings.setGpuPeakReset(on);
  }

  setLiveWanted(wanted: boolean): Promise<void> {
    return this._settings.setLiveWanted(wanted);
  }

  /** Drop the session and connect again (the sidebar's retry action). */
  reconnect(): void {
    this._keeper.reconnect();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._keeper.dispose();
    this._completion.dispose();
    Signal.clearData(this);
    this.kernelMemory.dispose();
    this.model.dispose();
    this.history.dispose();
    this.variables.dispose();
  }

  /** Tell how the previous kernel with this id ended, if that is news. */
  private async _reportLastExit(session: MemlensSession): Promise<void> {
    const report = await this._readings.lastExit(session);
    if (report) {
      this._exitReported.emit(report);
    }
  }

  /** Show an unexpected failure; a timeout or a closed session is not one. */
  private _report(error: unknown): void {
    if (!(error instanceof RequestError)) {
      this.model.update({ message: String(error) });
    }
  }

  /** A started session is connected: follow its kernel and read what it has. */
  private _onConnected(
    session: MemlensSession,
    info: IKernelInfo,
    kernelName: string
  ): void {
    if (info.pid !== this.history.pid) {
      this.variables.reset();
    }
    this.history.follow(info.pid);
    this.model.update({
      state: 'connected',
      kernelName,
      message: '',
      info,
      snapshot: info.memory
    });
    // A reloaded page or reopened notebook gets the kernel's history back.
    void this.pullCells();
    void this._reportLastExit(session);
    // A section that became visible before the kernel was connected (a page
    // loaded with the sidebar open, a restart after a death) asked for sizes
    // while there was no session: ask now, or it waits forever.
    if (this.variables.isActive) {
      void this.variables.refresh();
    }
    if (this._isActive) {
      void this.kernelMemory.refresh();
    }
  }

  private _keeper: SessionKeeper;
  private _completion: CompletionWatcher;
  private _readings: KernelReadings;
  private _isActive = false;
  private _settings: KernelSettings;
  private _liveness: KernelLiveness;
  private _isDisposed = false;
  private _exitReported = new Signal<this, ILastExit>(this);
}

/** NotebookConnection's options. */
export namespace NotebookConnection {
  export interface IOptions {
    sessionContext: ISessionContext;
    notebookName: string;
    /** The code that loads memlens in a kernel that lacks it, fetched on demand. */
    loadBootstrapCode: () => Promise<string>;
    /** How long to wait for each reply from the kernel, in ms. */
    timeoutMs: number;
    /** Start the kernel in precise (tracemalloc) mode. */
    precise?: boolean;
    /** Read memory again after each cell run, while active. */
    refreshAfterCell?: boolean;
    /** Time budget of a variables refresh, in ms. */
    variablesBudgetMs?: number;
    /** Cap on the sizing walk's own memory, in MiB; 0: the kernel's default. */
    variablesMemoryCapMiB?: number;
    /**
     * The cell the notebook shows running, if any: which cell to mark when
     * the kernel dies before any live reading named it.
     */
    runningCell?: () => RunningCell | null;
  }

  /** A cell the notebook shows running. */
  export type IRunningCell = RunningCell;
}
