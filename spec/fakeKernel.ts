/**
 * A scripted stand-in for a kernel connection: it records what the session
 * sends and answers with messages the test chooses. The real kernel is
 * exercised by pytest and the Galata tests; this one lets the session and
 * connection logic be driven through every branch quickly.
 */
import type { Kernel } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';

export type Answer = (request: Record<string, unknown>) => unknown | undefined;

export class FakeComm {
  constructor(
    readonly kernel: FakeKernel,
    readonly targetName: string
  ) {}

  commId = `comm-${Math.random().toString(36).slice(2)}`;
  isDisposed = false;
  opened: unknown = null;
  closed = false;
  sent: Record<string, unknown>[] = [];
  onMsg: (msg: { content: { data: unknown } }) => void = () => undefined;
  onClose: (msg: unknown) => void = () => undefined;

  open(data: unknown): { done: Promise<void> } {
    this.opened = data;
    return { done: Promise.resolve() };
  }

  send(data: Record<string, unknown>): { done: Promise<void> } {
    this.sent.push(data);
    const answer = this.kernel.answer(data);
    if (answer !== undefined) {
      setTimeout(() => this.deliver(answer), 0);
    }
    return { done: Promise.resolve() };
  }

  close(): { done: Promise<void> } {
    this.closed = true;
    this.isDisposed = true;
    return { done: Promise.resolve() };
  }

  /** A message from the kernel on this comm. */
  deliver(data: unknown): void {
    this.onMsg({ content: { data } });
  }
}

export interface IExecuteCall {
  code: string;
  silent?: boolean;
  store_history?: boolean;
  user_expressions?: Record<string, string>;
}

export class FakeKernel {
  status: Kernel.Status = 'idle';
  connectionStatus: Kernel.ConnectionStatus = 'connected';
  isDisposed = false;
  language = 'python';
  /** kernel_info's `implementation` and `implementation_version`. */
  implementation = 'ipython';
  implementationVersion = '9.0.0';
  executes: IExecuteCall[] = [];
  comms: FakeComm[] = [];
  executeReply: Record<string, unknown> = { status: 'ok', execution_count: 0 };
  /**
   * What each user expression evaluates to, like IPython's `user_expressions`
   * (the default: the memlens probe finds no installed package).
   */
  evaluate: (expression: string) => Record<string, unknown> = () => ({
    status: 'ok',
    data: { 'text/plain': 'False' },
    metadata: {}
  });
  answer: Answer = () => undefined;
  /** Resolve the bootstrap execute only when the test says so. */
  holdExecute: Promise<void> | null = null;

  get info(): Promise<unknown> {
    return Promise.resolve({
      language_info: { name: this.language },
      implementation: this.implementation,
      implementation_version: this.implementationVersion
    });
  }

  requestExecute(content: IExecuteCall): { done: Promise<unknown> } {
    this.executes.push(content);
    const expressions: Record<string, unknown> = {};
    for (const [key, expression] of Object.entries(
      content.user_expressions ?? {}
    )) {
      expressions[key] = this.evaluate(expression);
    }
    // As ipykernel: user expressions are evaluated only after code that ran.
    const reply = {
      content:
        this.executeReply.status === 'ok'
          ? { ...this.executeReply, user_expressions: expressions }
          : this.executeReply
    };
    const done = this.holdExecute
      ? this.holdExecute.then(() => reply)
      : Promise.resolve(reply);
    return { done };
  }

  createComm(targetName: string): FakeComm {
    const comm = new FakeComm(this, targetName);
    this.comms.push(comm);
    return comm;
  }

  asKernel(): Kernel.IKernelConnection {
    return this as unknown as Kernel.IKernelConnection;
  }
}

/** A session context whose kernel the test swaps, restarts and kills. */
export class FakeSessionContext {
  constructor(kernel: FakeKernel | null) {
    this._kernel = kernel;
  }

  isReady = true;
  hasNoKernel = false;
  kernelDisplayName = 'Python 3';
  sessionChanged = new Signal<this, unknown>(this);
  kernelChanged = new Signal<this, unknown>(this);
  statusChanged = new Signal<this, Kernel.Status>(this);
  connectionStatusChanged = new Signal<this, Kernel.ConnectionStatus>(this);
  ready = Promise.resolve();

  get session(): { kernel: FakeKernel | null } | null {
    return this._kernel ? { kernel: this._kernel } : null;
  }

  setKernel(kernel: FakeKernel | null): void {
    this._kernel = kernel;
    this.hasNoKernel = kernel === null;
    this.kernelChanged.emit(kernel);
  }

  setStatus(status: Kernel.Status): void {
    if (this._kernel) {
      this._kernel.status = status;
    }
    this.statusChanged.emit(status);
  }

  private _kernel: FakeKernel | null;
}

/** Let pending promise callbacks and zero-delay timers run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise(resolve => setTimeout(resolve, 0));
  }
}
