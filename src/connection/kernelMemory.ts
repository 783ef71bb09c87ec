import type { KernelModel } from '../kernel/model';
import { Coalescer } from '../common/coalesce';
import type { FreeAction } from '../wire/protocol';
import { RequestError, type MemlensSession } from '../wire/session';

/** Time budget of the sizing walk behind the Kernel pane's picture, in ms. */
export const KERNEL_MEMORY_BUDGET_MS = 2000;

/**
 * Reads what the kernel's RSS is made of (`kernel_memory`) and runs the
 * actions that free memory (`free_memory`) for one notebook's connection,
 * writing the answers into its KernelModel. Reads are merged like the
 * connection's other refreshes; an action reads the picture again after it.
 */
export class KernelMemoryReader {
  constructor(options: KernelMemoryReader.IOptions) {
    this._session = options.session;
    this._model = options.model;
    this._model.freeRequested.connect(this._onFreeRequested, this);
  }

  /** Read the parts of RSS again; overlapping calls are merged. */
  refresh(): Promise<void> {
    return this._reader.run();
  }

  /** Run an action, show what it gave back, then read memory again. */
  async free(action: FreeAction): Promise<void> {
    const session = this._session();
    if (!session || this._model.freeing !== null) {
      return;
    }
    this._model.update({ freeing: action });
    try {
      const body = await session.request('free_memory', { action });
      if (session === this._session()) {
        this._model.update({ freed: { ...this._model.freed, [action]: body } });
      }
    } catch (error) {
      this._report(error);
    } finally {
      this._model.update({ freeing: null });
    }
    await this.refresh();
  }

  dispose(): void {
    this._model.freeRequested.disconnect(this._onFreeRequested, this);
  }

  private _onFreeRequested(_: KernelModel, action: FreeAction): void {
    void this.free(action);
  }

  private async _read(): Promise<void> {
    const session = this._session();
    if (!session) {
      return;
    }
    try {
      const breakdown = await session.request('kernel_memory', {
        budget_ms: KERNEL_MEMORY_BUDGET_MS
      });
      if (session === this._session()) {
        this._model.update({ breakdown });
      }
    } catch (error) {
      this._report(error);
    }
  }

  /** Show an unexpected failure; a timeout or a closed session is not one. */
  private _report(error: unknown): void {
    if (!(error instanceof RequestError)) {
      this._model.update({ message: String(error) });
    }
  }

  private _session: () => MemlensSession | null;
  private _model: KernelModel;
  private _reader = new Coalescer(() => this._read());
}

/** KernelMemoryReader's options. */
export namespace KernelMemoryReader {
  export interface IOptions {
    /** The connection's live session, if connected. */
    session: () => MemlensSession | null;
    /** The model the answers are written to. */
    model: KernelModel;
  }
}
