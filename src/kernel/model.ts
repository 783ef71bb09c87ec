import { Signal, type ISignal } from '@lumino/signaling';

import type {
  FreeAction,
  IFreeMemoryBody,
  IKernelInfo,
  IKernelMemoryBody,
  ILiveBody,
  IMemorySnapshot
} from '../wire/protocol';

/** How far the connection to a notebook's kernel has come. */
export type ConnectionState =
  'no-kernel' | 'connecting' | 'connected' | 'dead' | 'unsupported' | 'error';

/**
 * What the sidebar shows about one notebook's kernel. State and a signal,
 * nothing else: only the notebook's connection handler writes it.
 */
export class KernelModel {
  constructor(options: KernelModel.IOptions) {
    this._state = {
      ...KernelModel.INITIAL,
      notebookName: options.notebookName
    };
  }

  /** Emitted after every update. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get state(): ConnectionState {
    return this._state.state;
  }

  /** A sentence for the user about the state (why it failed, what it waits for). */
  get message(): string {
    return this._state.message;
  }

  get notebookName(): string {
    return this._state.notebookName;
  }

  get kernelName(): string {
    return this._state.kernelName;
  }

  /** What the kernel said in `hello`; null until connected. */
  get info(): IKernelInfo | null {
    return this._state.info;
  }

  /** The latest memory reading. */
  get snapshot(): IMemorySnapshot | null {
    return this._state.snapshot;
  }

  /** The running cell's latest live reading; null while no cell runs. */
  get live(): ILiveBody | null {
    return this._state.live;
  }

  /** What the kernel's RSS is made of; null until read. */
  get breakdown(): IKernelMemoryBody | null {
    return this._state.breakdown;
  }

  /** What each action gave back when it last ran. */
  get freed(): Partial<Record<FreeAction, IFreeMemoryBody>> {
    return this._state.freed;
  }

  /** The action running now, if any. */
  get freeing(): FreeAction | null {
    return this._state.freeing;
  }

  /**
   * Emitted when the user asks for an action (collect garbage, trim, clear
   * the output cache); the connection runs it and writes what it gave back.
   */
  get freeRequested(): ISignal<this, FreeAction> {
    return this._freeRequested;
  }

  /** Ask for an action (the Kernel pane's buttons); ignored while one runs. */
  requestFree(action: FreeAction): void {
    if (this._state.freeing === null) {
      this._freeRequested.emit(action);
    }
  }

  /** Replace some fields and notify. */
  update(values: Partial<KernelModel.IState>): void {
    this._state = { ...this._state, ...values };
    this._changed.emit();
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _state: KernelModel.IState;
  private _changed = new Signal<this, void>(this);
  private _freeRequested = new Signal<this, FreeAction>(this);
}

/** KernelModel's types. */
export namespace KernelModel {
  export interface IOptions {
    notebookName: string;
  }

  export interface IState {
    state: ConnectionState;
    message: string;
    notebookName: string;
    kernelName: string;
    info: IKernelInfo | null;
    snapshot: IMemorySnapshot | null;
    live: ILiveBody | null;
    breakdown: IKernelMemoryBody | null;
    freed: Partial<Record<FreeAction, IFreeMemoryBody>>;
    freeing: FreeAction | null;
  }

  export const INITIAL: IState = {
    state: 'connecting',
    message: '',
    notebookName: '',
    kernelName: '',
    info: null,
    snapshot: null,
    live: null,
    breakdown: null,
    freed: {},
    freeing: null
  };
}
