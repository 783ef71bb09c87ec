import { Notification } from '@jupyterlab/apputils';
import {
  NotebookActions,
  type INotebookTracker,
  type Notebook,
  type NotebookPanel
} from '@jupyterlab/notebook';
import type { ICellModel, ICodeCellModel } from '@jupyterlab/cells';
import type { IDisposable } from '@lumino/disposable';
import { Signal, type ISignal } from '@lumino/signaling';

import { NotebookConnection } from './connection';
import type { SettingsModel } from '../common/settings';
import { exitSentence } from '../cells/exit';

/**
 * One NotebookConnection per open notebook, and which one is active. The
 * sidebar shows the active connection's model.
 */
export class MemlensService implements IDisposable {
  constructor(options: MemlensService.IOptions) {
    this._tracker = options.tracker;
    this._loadBootstrapCode = options.loadBootstrapCode;
    this._settings = options.settings;
    this._precise = this._settings.value.precise;
    this._tracker.widgetAdded.connect(this._onAdded, this);
    this._tracker.currentChanged.connect(this._onCurrentChanged, this);
    this._tracker.forEach(panel => this._onAdded(this._tracker, panel));
    this._settings.changed.connect(this._onSettingsChanged, this);
    NotebookActions.executed.connect(this._onExecuted, this);
    document.addEventListener('visibilitychange', this._onVisibility);
  }

  /** The active notebook's connection. */
  get active(): NotebookConnection | null {
    const panel = this._tracker.currentWidget;
    return panel ? (this._connections.get(panel) ?? null) : null;
  }

  /** Emitted when the active notebook changes. */
  get activeChanged(): ISignal<this, NotebookConnection | null> {
    return this._activeChanged;
  }

  /** The connection of a notebook panel, created on first use. */
  connectionFor(panel: NotebookPanel): NotebookConnection {
    return this._connections.get(panel) ?? this._create(panel);
  }

  /** The connection of the panel showing this notebook widget, if any. */
  connectionForNotebook(notebook: Notebook): NotebookConnection | null {
    for (const [panel, connection] of this._connections) {
      if (panel.content === notebook) {
        return connection;
      }
    }
    return null;
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
    this._settings.changed.disconnect(this._onSettingsChanged, this);
    NotebookActions.executed.disconnect(this._onExecuted, this);
    document.removeEventListener('visibilitychange', this._onVisibility);
    for (const connection of this._connections.values()) {
      connection.dispose();
    }
    this._connections.clear();
    Signal.clearData(this);
  }

  private _onAdded(_: INotebookTracker, panel: NotebookPanel): void {
    const connection = this.connectionFor(panel);
    if (this._tracker.currentWidget === panel) {
      this._activeChanged.emit(connection);
    }
  }

  private _create(panel: NotebookPanel): NotebookConnection {
    const settings = this._settings.value;
    const connection = new NotebookConnection({
      sessionContext: panel.sessionContext,
      notebookName: panel.context.localPath,
      loadBootstrapCode: this._loadBootstrapCode,
      timeoutMs: settings.requestTimeoutMs,
      precise: settings.precise,
      refreshAfterCell: settings.refreshAfterCell,
      variablesBudgetMs: settings.variablesBudgetMs,
      variablesMemoryCapMiB: settings.variablesMemoryCapMiB,
      runningCell: () => Private.runningCell(panel)
    });
    this._connections.set(panel, connection);
    void connection.setLiveWanted(this._liveWanted(panel));
    void connection.setMemorySettings(settings.exactPeak, settings.guardShare);
    void connection.setGpuPeakReset(settings.gpuPeakReset);
    connection.exitReported.connect((_, report) => {
      const name = panel.context.localPath;
      Notification.warning(
        `${name}: ${exitSentence(report, this._settings.value.units)}`,
        { autoClose: false }
      );
    });
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
    return connection;
  }

  /**
   * Live readings are wanted where something shows them: the current
   * notebook's (status bar, Kernel pane) and a visible notebook's badges, and
   * never while the page is hidden.
   */
  private _liveWanted(panel: NotebookPanel): boolean {
    if (document.visibilityState === 'hidden') {
      return false;
    }
    return (
      panel === this._tracker.currentWidget ||
      (panel.isVisible && this._settings.value.showBadges)
    );
  }

  private _updateLiveWanted(): void {
    for (const [panel, connection] of this._connections) {
      void connection.setLiveWanted(this._liveWanted(panel));
    }
  }

  private _onVisibility = (): void => this._updateLiveWanted();

  private _onSettingsChanged(): void {
    this._updateLiveWanted();
    const settings = this._settings.value;
    for (const connection of this._connections.values()) {
      connection.refreshAfterCell = settings.refreshAfterCell;
      connection.variables.budgetMs = settings.variablesBudgetMs;
      connection.variables.memoryCapMiB = settings.variablesMemoryCapMiB;
      void connection.setMemorySettings(
        settings.exactPeak,
        settings.guardShare
      );
      void connection.setGpuPeakReset(settings.gpuPeakReset);
    }
    const precise = settings.precise;
    if (precise === this._precise) {
      return;
    }
    this._precise = precise;
    for (const connection of this._connections.values()) {
      void connection.setPrecise(precise);
    }
  }

  private _onExecuted(_: unknown, { notebook }: { notebook: Notebook }): void {
    this.connectionForNotebook(notebook)?.cellRan();
  }

  private _onCurrentChanged(): void {
    this._updateLiveWanted();
    this._activeChanged.emit(this.active);
  }

  private _tracker: INotebookTracker;
  private _loadBootstrapCode: () => Promise<string>;
  private _settings: SettingsModel;
  private _precise: boolean;
  private _connections = new Map<NotebookPanel, NotebookConnection>();
  private _activeChanged = new Signal<this, NotebookConnection | null>(this);
  private _isDisposed = false;
}

/** MemlensService's options. */
export namespace MemlensService {
  export interface IOptions {
    tracker: INotebookTracker;
    /** The code that loads memlens in a kernel that lacks it, fetched on demand. */
    loadBootstrapCode: () => Promise<string>;
    settings: SettingsModel;
  }
}

namespace Private {
  /**
   * The cell the notebook shows running: the first code cell in the running
   * state (later ones in that state are queued behind it).
   */
  export function runningCell(
    panel: NotebookPanel
  ): NotebookConnection.IRunningCell | null {
    for (const cell of panel.content.widgets) {
      const model = cell.model;
      if (model.type === 'code' && isCodeModel(model)) {
        if (model.executionState === 'running') {
          return { id: model.id, executionCount: model.executionCount };
        }
      }
    }
    return null;
  }

  function isCodeModel(model: ICellModel): model is ICodeCellModel {
    return 'executionState' in model;
  }
}
