import type { NotebookPanel, INotebookTracker } from '@jupyterlab/notebook';
import type { IDisposable } from '@lumino/disposable';
import { Signal, type ISignal } from '@lumino/signaling';

import { NotebookConnection } from './handler/connection';

/**
 * One NotebookConnection per open notebook, and which one is active. The
 * sidebar shows the active connection's model.
 */
export class MemlensService implements IDisposable {
  constructor(options: MemlensService.IOptions) {
    this._tracker = options.tracker;
    this._bootstrapCode = options.bootstrapCode;
    this.timeoutMs = options.timeoutMs;
    this._tracker.widgetAdded.connect(this._onAdded, this);
    this._tracker.currentChanged.connect(this._onCurrentChanged, this);
    this._tracker.forEach(panel => this._onAdded(this._tracker, panel));
  }

  /** How long connections wait for each reply; applies to new connections. */
  timeoutMs: number;

  /** The active notebook's connection. */
  get active(): NotebookConnection | null {
    const panel = this._tracker.currentWidget;
    return panel ? (this._connections.get(panel) ?? null) : null;
  }

  /** Emitted when the active notebook changes. */
  get activeChanged(): ISignal<this, NotebookConnection | null> {
    return this._activeChanged;
  }

  /** The connection of the notebook panel holding this notebook widget. */
  connectionFor(panel: NotebookPanel): NotebookConnection | null {
    return this._connections.get(panel) ?? null;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._tracker.widgetAdded.disconnect(this._onAdded, this);
    this._tracker.currentChanged.disconnect(this._onCurrentChanged, this);
    for (const connection of this._connections.values()) {
      connection.dispose();
    }
    this._connections.clear();
    Signal.clearData(this);
  }

  private _onAdded(_: INotebookTracker, panel: NotebookPanel): void {
    if (this._connections.has(panel)) {
      return;
    }
    const connection = new NotebookConnection({
      sessionContext: panel.sessionContext,
      notebookName: panel.context.localPath,
      bootstrapCode: this._bootstrapCode,
      timeoutMs: this.timeoutMs
    });
    this._connections.set(panel, connection);
    const onPathChanged = (): void =>
      connection.setNotebookName(panel.context.localPath);
    panel.context.pathChanged.connect(onPathChanged);
    panel.disposed.connect(() => {
      panel.context.pathChanged.disconnect(onPathChanged);
      this._connections.delete(panel);
      connection.dispose();
      if (this._tracker.currentWidget === null) {
        this._activeChanged.emit(null);
      }
    });
    if (this._tracker.currentWidget === panel) {
      this._activeChanged.emit(connection);
    }
  }

  private _onCurrentChanged(): void {
    this._activeChanged.emit(this.active);
  }

  private _tracker: INotebookTracker;
  private _bootstrapCode: string;
  private _connections = new Map<NotebookPanel, NotebookConnection>();
  private _activeChanged = new Signal<this, NotebookConnection | null>(this);
  private _isDisposed = false;
}

/** MemlensService's options. */
export namespace MemlensService {
  export interface IOptions {
    tracker: INotebookTracker;
    bootstrapCode: string;
    timeoutMs: number;
  }
}
