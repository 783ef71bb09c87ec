import type { Kernel, KernelMessage } from '@jupyterlab/services';
import type { JSONObject } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';
import { Signal, type ISignal } from '@lumino/signaling';

import { REQUEST_TIMEOUT_MS } from '../common/constants';
import {
  MISSING_PACKAGE_ERRORS,
  PROBE_EXPRESSION,
  PROBE_INSTALLED,
  PROBE_KEY
} from './bootstrap';
import {
  COMM_TARGET,
  PROTOCOL_VERSION,
  ProtocolError,
  check,
  makeRequest,
  parseReply,
  type Command,
  type IEvent,
  type IKernelInfo,
  type ILiveBody,
  type IReplyBodies,
  type IRequestArgs
} from './protocol';

/** The kernel-side code did not load: the execute reply said why. */
export class BootstrapError extends Error {
  constructor(
    readonly ename: string,
    readonly evalue: string
  ) {
    super(`memlens could not start in the kernel: ${ename}: ${evalue}`);
    this.name = 'BootstrapError';
  }
}

/** The kernel did not answer in time, or the session closed first. */
export class RequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestError';
  }
}

/**
 * Check an event from the kernel (a `live` reading pushed while a cell runs);
 * throws a ProtocolError for anything else.
 */
export function parseEvent(data: unknown): IEvent {
  const obj = check(data, 'Event');
  return {
    v: PROTOCOL_VERSION,
    type: 'event',
    event: 'live',
    body: obj.body as ILiveBody
  };
}

/**
 * One memlens comm to one kernel: load the kernel side, open the comm, send
 * typed requests and route their replies.
 */
export class MemlensSession implements IDisposable {
  constructor(options: MemlensSession.IOptions) {
    this._kernel = options.kernel;
    this._loadBootstrapCode = options.loadBootstrapCode;
    this._timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  /** The kernel this session talks to. */
  get kernel(): Kernel.IKernelConnection {
    return this._kernel;
  }

  /**
   * The running cell's readings, pushed by the kernel while a cell runs once a
   * `configure` asked for them (`live: true`).
   */
  get liveReading(): ISignal<this, ILiveBody> {
    return this._liveReading;
  }

  /** Emitted once, when the session closes for any reason. */
  get closed(): ISignal<this, void> {
    return this._closed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Load memlens in the kernel without touching the user's namespace or
   * history, open the comm and exchange `hello`. A kernel with memlens
   * installed gets only a small probe; the bundled source is loaded and sent
   * only to a kernel that lacks it.
   */
  async start(): Promise<IKernelInfo> {
    const probe = await this._execute('', { [PROBE_KEY]: PROBE_EXPRESSION });
    this._throwIfDisposed();
    const result = Private.probeResult(probe.user_expressions?.[PROBE_KEY]);
    if (
      result.status === 'error' &&
      !MISSING_PACKAGE_ERRORS.has(result.ename)
    ) {
      // memlens is installed but does not load: the bundled copy would find
      // the same installed package, so say why now.
      throw new BootstrapError(result.ename, result.evalue);
    }
    if (result.status !== 'ok') {
      const code = await this._loadBootstrapCode();
      this._throwIfDisposed();
      await this._execute(code, {});
      this._throwIfDisposed();
    }
    const comm = this._kernel.createComm(COMM_TARGET);
    comm.onMsg = msg => this._onMessage(msg);
    comm.onClose = () => this.dispose();
    this._comm = comm;
    await comm.open({ v: PROTOCOL_VERSION }).done;
    return this.request('hello', {});
  }

  /** Send a request and resolve with the reply's checked body. */
  request<K extends Command>(
    command: K,
    args: IRequestArgs[K]
  ): Promise<IReplyBodies[K]> {
    const comm = this._comm;
    if (this._isDisposed || !comm) {
      return Promise.reject(new RequestError('the memlens session is closed'));
    }
    const id = `${Private.prefix}-${++this._counter}`;
    return new Promise<IReplyBodies[K]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(id);
        reject(
          new RequestError(
            `the kernel did not answer '${command}' within ${this._timeoutMs} ms`
          )
        );
      }, this._timeoutMs);
      this._pending.set(id, {
        resolve: body => resolve(body as IReplyBodies[K]),
        reject,
        timer
      });
      comm.send(makeRequest(id, command, args) as unknown as JSONObject);
    });
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    const comm = this._comm;
    this._comm = null;
    if (comm && !comm.isDisposed) {
      comm.onClose = () => undefined;
      comm.onMsg = () => undefined;
      if (!this._kernel.isDisposed && this._kernel.status !== 'dead') {
        try {
          comm.close();
        } catch {
          // The kernel is gone; there is nothing left to close.
        }
      }
    }
    for (const [, pending] of this._pending) {
      clearTimeout(pending.timer);
      pending.reject(new RequestError('the memlens session closed'));
    }
    this._pending.clear();
    this._closed.emit();
    Signal.clearData(this);
  }

  private _onMessage(msg: KernelMessage.ICommMsgMsg): void {
    const data: unknown = msg.content.data;
    if ((data as { type?: unknown } | null)?.type === 'event') {
      try {
        this._liveReading.emit(parseEvent(data).body);
      } catch {
        // An event this frontend does not know (a newer kernel side): ignore it.
      }
      return;
    }
    let reply;
    try {
      reply = parseReply(data);
    } catch (error) {
      const id = (data as { id?: unknown } | null)?.id;
      if (typeof id === 'string') {
        this._settle(id, undefined, error as Error);
      }
      return;
    }
    if (reply.id === null) {
      return;
    }
    if (reply.ok) {
      this._settle(reply.id, reply.body);
    } else {
      this._settle(
        reply.id,
        undefined,
        new ProtocolError(reply.error.code, reply.error.message)
      );
    }
  }

  /** A silent execute that leaves no trace; rejects unless its reply is ok. */
  private async _execute(
    code: string,
    userExpressions: JSONObject
  ): Promise<KernelMessage.IExecuteReply> {
    const future = this._kernel.requestExecute(
      {
        code,
        silent: true,
        store_history: false,
        user_expressions: userExpressions,
        allow_stdin: false,
        stop_on_error: false
      },
      true
    );
    const reply = await future.done;
    const content = reply.content;
    if (content.status === 'error') {
      throw new BootstrapError(content.ename, content.evalue);
    }
    if (content.status !== 'ok') {
      throw new BootstrapError('ExecutionAborted', content.status);
    }
    return content;
  }

  private _settle(id: string, body: unknown, error?: Error): void {
    const pending = this._pending.get(id);
    if (!pending) {
      return;
    }
    this._pending.delete(id);
    clearTimeout(pending.timer);
    if (error) {
      pending.reject(error);
    } else {
      pending.resolve(body);
    }
  }

  private _throwIfDisposed(): void {
    if (this._isDisposed) {
      throw new RequestError('the memlens session closed while starting');
    }
  }

  private _kernel: Kernel.IKernelConnection;
  private _loadBootstrapCode: () => Promise<string>;
  private _timeoutMs: number;
  private _comm: Kernel.IComm | null = null;
  private _counter = 0;
  private _pending = new Map<string, Private.IPending>();
  private _isDisposed = false;
  private _closed = new Signal<this, void>(this);
  private _liveReading = new Signal<this, ILiveBody>(this);
}

/** MemlensSession's options. */
export namespace MemlensSession {
  export interface IOptions {
    kernel: Kernel.IKernelConnection;
    /**
     * The silent-execute code that loads memlens in a kernel that lacks it;
     * called only for such a kernel.
     */
    loadBootstrapCode: () => Promise<string>;
    /** How long to wait for each reply, in ms. */
    timeoutMs?: number;
  }
}

namespace Private {
  /** What the probe expression gave: installed, an error, or no memlens. */
  export type ProbeResult =
    | { status: 'ok' }
    | { status: 'error'; ename: string; evalue: string }
    | { status: 'missing' };

  /**
   * Read the probe's entry of an execute reply's `user_expressions`; anything
   * but an explicit `True` (including a kernel that evaluated nothing) means
   * the bundle is needed.
   */
  export function probeResult(value: unknown): ProbeResult {
    if (typeof value !== 'object' || value === null) {
      return { status: 'missing' };
    }
    const entry = value as {
      status?: unknown;
      data?: { 'text/plain'?: unknown };
      ename?: unknown;
      evalue?: unknown;
    };
    if (entry.status === 'error') {
      return {
        status: 'error',
        ename: String(entry.ename ?? 'Error'),
        evalue: String(entry.evalue ?? '')
      };
    }
    const installed =
      entry.status === 'ok' && entry.data?.['text/plain'] === PROBE_INSTALLED;
    return installed ? { status: 'ok' } : { status: 'missing' };
  }

  export interface IPending {
    resolve: (body: unknown) => void;
    reject: (error: Error) => void;
    timer: ReturnType<typeof setTimeout>;
  }

  /** Distinguishes this page's requests from another page's on the same kernel. */
  export const prefix = Math.random().toString(36).slice(2, 10);
}
