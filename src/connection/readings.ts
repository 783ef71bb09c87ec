import type { CellHistoryModel } from '../cells/model';
import { Coalescer } from '../common/coalesce';
import type { KernelModel } from '../kernel/model';
import type { ILastExit } from '../wire/protocol';
import type { MemlensSession } from '../wire/session';

/**
 * The connection's reads of the kernel: its memory now (`snapshot`), the
 * records of cells run since the last read (`cells`), and how the previous
 * kernel ended (`last_exit`). Overlapping reads of one kind are merged; an
 * answer from a session that was replaced meanwhile is dropped.
 */
export class KernelReadings {
  constructor(options: KernelReadings.IOptions) {
    this._session = options.session;
    this._current = options.current;
    this._model = options.model;
    this._history = options.history;
    this._report = options.report;
  }

  /** Read the kernel's memory again; overlapping calls are merged. */
  refresh(): Promise<void> {
    return this._refresher.run();
  }

  /** Fetch the records of cells run since the last fetch; overlapping calls are merged. */
  pullCells(): Promise<void> {
    return this._puller.run();
  }

  /**
   * Ask how the previous kernel with this id ended and mark its cell; the
   * report when it is news (null after a clean restart, from an older
   * kernel-side memlens, or when the session changed meanwhile).
   */
  async lastExit(session: MemlensSession): Promise<ILastExit | null> {
    let report: ILastExit | null = null;
    try {
      report = (await session.request('last_exit', {})).report;
    } catch {
      return null;
    }
    if (
      report &&
      session === this._current() &&
      this._history.addExit(report)
    ) {
      return report;
    }
    return null;
  }

  private async _readSnapshot(): Promise<void> {
    const session = this._session();
    if (!session) {
      return;
    }
    try {
      const snapshot = await session.request('snapshot', {});
      if (session === this._current()) {
        this._model.update({ snapshot });
      }
    } catch (error) {
      // A busy kernel answers late; the next refresh catches up. A closed
      // session is reconciled by its `closed` signal.
      this._report(error);
    }
  }

  private async _readCells(): Promise<void> {
    const session = this._session();
    if (!session) {
      return;
    }
    try {
      // Records whose output-cache pin the kernel may still complete come again.
      const body = await session.request('cells', {
        after: this._history.refetchAfter
      });
      if (session === this._current()) {
        this._history.add(body.records, body.precise);
        this._history.setOutPins(body.out_pins ?? []);
      }
    } catch (error) {
      this._report(error);
    }
  }

  private _session: () => MemlensSession | null;
  private _current: () => MemlensSession | null;
  private _model: KernelModel;
  private _history: CellHistoryModel;
  private _report: (error: unknown) => void;
  private _refresher = new Coalescer(() => this._readSnapshot());
  private _puller = new Coalescer(() => this._readCells());
}

/** KernelReadings' options. */
export namespace KernelReadings {
  export interface IOptions {
    /** The live session, if connected. */
    session: () => MemlensSession | null;
    /** The session now, connected or not: answers from any other are dropped. */
    current: () => MemlensSession | null;
    model: KernelModel;
    history: CellHistoryModel;
    /** Show an unexpected failure. */
    report: (error: unknown) => void;
  }
}
