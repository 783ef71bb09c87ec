import type { ISessionContext } from '@jupyterlab/apputils';
import type { Kernel } from '@jupyterlab/services';
import type { IDisposable } from '@lumino/disposable';
import { Signal, type ISignal } from '@lumino/signaling';

import { CellHistoryModel } from '../cells/model';
import { DEFAULT_SETTINGS } from '../common/settings';
import { KernelModel } from '../kernel/model';
import { KernelMemoryReader } from './kernelMemory';
import { KernelSettings } from './kernelSettings';
import { KernelReadings } from './readings';
import { KernelLiveness, type IRunningCell as RunningCell } from './liveness';
import type { ILastExit, ILiveBody } from '../wire/protocol';
import { BootstrapError, MemlensSession, RequestError } from '../wire/session';
import { VariablesFetcher } from '../variables/fetcher';

/** Kernel statuses during which the kernel cannot hold a comm. */
const TRANSIENT = new Set<Kernel.Status>([
  'starting',
  'restarting',
  'autorestarting',
  'terminating',
  'unknown'
]);

/** How many times a comm closed by the kernel is reopened before giving up. */
const MAX_RETRIES = 3;

/**
 * Keeps one notebook's memlens session in step with its kernel: starts it,
 * drops it on restart, shutdown or kernel change, and starts it again. The only
 * writer of the notebook's KernelModel. Reads memory again only while active
 * (someone shows it), like the table of contents' model.
 */
export class NotebookConnection implements IDisposable {
  constructor(options: NotebookConnection.IOptions) {
    this._context = options.sessionContext;
    this._loadBootstrapCode = options.loadBootstrapCode;
    this._timeoutMs = options.timeoutMs;
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
      current: () => this._session,
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
    const ctx = this._context;
    ctx.sessionChanged.connect(this._reconcile, this);
    ctx.kernelChanged.connect(this._onKernelChanged, this);
    ctx.statusChanged.connect(this._reconcile, this);
    ctx.connectionStatusChanged.connect(this._reconcile, this);
    void ctx.ready.then(() => this._reconcile());
    this._reconcile();
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
    return this.model.state === 'connected' ? this._session : null;
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
  setLiveWanted(wanted: boolean): Promise<void> {
    return this._settings.setLiveWanted(wanted);
  }

  /** Drop the session and connect again (the sidebar's retry action). */
  reconnect(): void {
    this._retries = 0;
    this._failedKernel = null;
    this._drop();
    this._reconcile();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._drop();
    const ctx = this._context;
    ctx.sessionChanged.disconnect(this._reconcile, this);
    ctx.kernelChanged.disconnect(this._onKernelChanged, this);
    ctx.statusChanged.disconnect(this._reconcile, this);
    ctx.connectionStatusChanged.disconnect(this._reconcile, this);
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

  private _onKernelChanged(): void {
    this._retries = 0;
    this._drop();
    this._reconcile();
  }

  private _reconcile(): void {
    if (this._isDisposed) {
      return;
    }
    const kernel = this._context.session?.kernel ?? null;
    const kernelName = this._context.kernelDisplayName;
    if (!kernel) {
      this._drop();
      const waiting = !this._context.isReady && !this._context.hasNoKernel;
      this._set(waiting ? 'connecting' : 'no-kernel', kernelName, '');
      return;
    }
    if (this._session && this._session.kernel !== kernel) {
      this._drop();
    }
    this._liveness.watch(kernel.status);
    if (kernel.status === 'dead') {
      this._drop();
      this._set('dead', kernelName, 'The kernel has died.');
      return;
    }
    if (
      TRANSIENT.has(kernel.status) ||
      kernel.connectionStatus !== 'connected'
    ) {
      // The comm does not survive a restart; a reconnected websocket may have
      // lost replies. Either way, start afresh once the kernel is back.
      this._drop();
      this._failedKernel = null;
      this._set('connecting', kernelName, `Kernel ${kernel.status}…`);
      return;
    }
    if (this._session || this._starting === kernel) {
      return;
    }
    const failed = ['unsupported', 'error'].includes(this.model.state);
    if (failed && this._failedKernel === kernel) {
      return;
    }
    void this._start(kernel, kernelName);
  }

  private _onLive(session: MemlensSession, reading: ILiveBody): void {
    if (session === this._session && reading.running) {
      this._liveness.setLive(reading);
    }
  }

  private async _start(
    kernel: Kernel.IKernelConnection,
    kernelName: string
  ): Promise<void> {
    const generation = ++this._generation;
    this._starting = kernel;
    this._failedKernel = null;
    this._set('connecting', kernelName, 'Loading memlens in the kernel…');
    let implementation = '';
    try {
      const reply = await kernel.info;
      if (generation !== this._generation) {
        return;
      }
      implementation = `${reply.implementation} ${reply.implementation_version}`;
      const language = reply.language_info.name.toLowerCase();
      if (language !== 'python') {
        this._failedKernel = kernel;
        this._set(
          'unsupported',
          kernelName,
          `Not a Python kernel (${reply.language_info.name}) — memlens needs an IPython kernel.`
        );
        return;
      }
      const session = new MemlensSession({
        kernel,
        loadBootstrapCode: this._loadBootstrapCode,
        timeoutMs: this._timeoutMs
      });
      this._session = session;
      session.closed.connect(this._onSessionClosed, this);
      session.liveReading.connect(this._onLive, this);
      const info = await session.start();
      await this._settings.applyTo(session);
      if (generation !== this._generation) {
        return;
      }
      this._retries = 0;
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
    } catch (error) {
      if (generation !== this._generation) {
        return;
      }
      this._drop();
      this._failedKernel = kernel;
      const message =
        error instanceof BootstrapError || error instanceof Error
          ? error.message
          : String(error);
      this._set('error', kernelName, explainFailure(message, implementation));
    } finally {
      if (generation === this._generation) {
        this._starting = null;
      }
    }
  }

  private _onSessionClosed(session: MemlensSession): void {
    if (session !== this._session) {
      return;
    }
    // Closed from the kernel's side while the kernel lives: reopen, a few times.
    this._session = null;
    this._generation++;
    this._starting = null;
    if (this._retries < MAX_RETRIES) {
      this._retries++;
      this._reconcile();
    } else {
      this._set(
        'error',
        this.model.kernelName,
        'The kernel closed the memlens comm.'
      );
    }
  }

  private _drop(): void {
    this._generation++;
    this._starting = null;
    const session = this._session;
    this._session = null;
    if (session) {
      session.closed.disconnect(this._onSessionClosed, this);
      session.liveReading.disconnect(this._onLive, this);
      session.dispose();
    }
  }

  private _set(
    state: KernelModel.IState['state'],
    kernelName: string,
    message: string
  ): void {
    const keepInfo = state === 'connected';
    this.model.update({
      state,
      kernelName,
      message,
      info: keepInfo ? this.model.info : null,
      snapshot: keepInfo ? this.model.snapshot : null,
      live: keepInfo ? this.model.live : null,
      breakdown: keepInfo ? this.model.breakdown : null,
      freed: keepInfo ? this.model.freed : {},
      freeing: keepInfo ? this.model.freeing : null
    });
  }

  private _context: ISessionContext;
  private _loadBootstrapCode: () => Promise<string>;
  private _timeoutMs: number;
  private _session: MemlensSession | null = null;
  private _starting: Kernel.IKernelConnection | null = null;
  private _failedKernel: Kernel.IKernelConnection | null = null;
  private _generation = 0;
  private _retries = 0;
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

/**
 * A failed start, said so that the user learns what is missing. memlens talks
 * to the kernel over a comm the frontend opens; ipykernel 6 and 7 accept one,
 * but some Python kernels that are not ipykernel do not answer it (seen:
 * xeus-python 0.19's PyPI build fails every comm opened from the frontend),
 * which would otherwise read as a bare time-out.
 */
export function explainFailure(
  message: string,
  implementation: string
): string {
  const kind = implementation.trim();
  if (!kind || /^ipython\b/i.test(kind) || !/did not answer/.test(message)) {
    return message;
  }
  return (
    `${message}. This Python kernel (${kind}) is not ipykernel and did not answer ` +
    "memlens' comm: memlens needs a kernel that accepts comms opened by the " +
    'frontend, as ipykernel 6 and 7 do. Badges, Cells and Variables are off for it.'
  );
}
