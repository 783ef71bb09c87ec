import type { ISessionContext } from '@jupyterlab/apputils';
import type { Kernel } from '@jupyterlab/services';
import type { IDisposable } from '@lumino/disposable';

import type { KernelModel } from '../kernel/model';
import type { IKernelInfo, ILiveBody } from '../wire/protocol';
import { BootstrapError, MemlensSession } from '../wire/session';
import type { KernelLiveness } from './liveness';

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
 * Opens and keeps one notebook's memlens session: starts it (bootstrapping
 * memlens in the kernel), drops it on restart, shutdown or kernel change, and
 * starts it again; reopens a comm the kernel closed a few times. Writes the
 * model's connection state; what a connected session brings (history,
 * variables, settings) is the owner's, through `prepare` and `connected`.
 */
export class SessionKeeper implements IDisposable {
  constructor(options: SessionKeeper.IOptions) {
    this._context = options.sessionContext;
    this._loadBootstrapCode = options.loadBootstrapCode;
    this._timeoutMs = options.timeoutMs;
    this._model = options.model;
    this._liveness = options.liveness;
    this._prepare = options.prepare;
    this._connected = options.connected;
    const ctx = this._context;
    ctx.sessionChanged.connect(this._reconcile, this);
    ctx.kernelChanged.connect(this._onKernelChanged, this);
    ctx.statusChanged.connect(this._reconcile, this);
    ctx.connectionStatusChanged.connect(this._reconcile, this);
    void ctx.ready.then(() => this._reconcile());
    this._reconcile();
  }

  /** The session, once started (connected or not yet: the model's state says). */
  get session(): MemlensSession | null {
    return this._session;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
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
    const failed = ['unsupported', 'error'].includes(this._model.state);
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
      await this._prepare(session);
      if (generation !== this._generation) {
        return;
      }
      this._retries = 0;
      this._connected(session, info, kernelName);
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
        this._model.kernelName,
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
    const model = this._model;
    const keepInfo = state === 'connected';
    model.update({
      state,
      kernelName,
      message,
      info: keepInfo ? model.info : null,
      snapshot: keepInfo ? model.snapshot : null,
      live: keepInfo ? model.live : null,
      breakdown: keepInfo ? model.breakdown : null,
      freed: keepInfo ? model.freed : {},
      freeing: keepInfo ? model.freeing : null
    });
  }

  private _context: ISessionContext;
  private _loadBootstrapCode: () => Promise<string>;
  private _timeoutMs: number;
  private _model: KernelModel;
  private _liveness: KernelLiveness;
  private _prepare: (session: MemlensSession) => Promise<void>;
  private _connected: SessionKeeper.IOptions['connected'];
  private _session: MemlensSession | null = null;
  private _starting: Kernel.IKernelConnection | null = null;
  private _failedKernel: Kernel.IKernelConnection | null = null;
  private _generation = 0;
  private _retries = 0;
  private _isDisposed = false;
}

/** SessionKeeper's options. */
export namespace SessionKeeper {
  export interface IOptions {
    sessionContext: ISessionContext;
    /** The code that loads memlens in a kernel that lacks it, fetched on demand. */
    loadBootstrapCode: () => Promise<string>;
    /** How long to wait for each reply from the kernel, in ms. */
    timeoutMs: number;
    /** Whose connection state this keeper writes. */
    model: KernelModel;
    /** Told each kernel status and each live reading. */
    liveness: KernelLiveness;
    /** Run on a started session before it counts as connected (send settings). */
    prepare: (session: MemlensSession) => Promise<void>;
    /** The session is connected: set the model's state and read what it has. */
    connected: (
      session: MemlensSession,
      info: IKernelInfo,
      kernelName: string
    ) => void;
  }
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
