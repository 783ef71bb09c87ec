import type { Cell } from '@jupyterlab/cells';
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { IDisposable } from '@lumino/disposable';

import type { CellHistoryModel } from './model';
import { parseCellRecord, type ICellRecord } from '../wire/protocol';
import type { SettingsModel } from '../common/settings';
import { badgeLevel, badgeText, badgeTooltip } from './readout';
import { isTrivial } from './badgeSize';
import { makePopoverButton } from './popover';
import {
  deathBadgeText,
  deathSentence,
  exitBadgeText,
  exitSentence,
  liveBadgeText,
  liveTooltip
} from './exit';

/** Cell metadata key holding the last readout when persistence is on. */
export const METADATA_KEY = 'memlens';

const BADGE_CLASS = 'jp-MemlensBadge';

/**
 * The badges under one notebook's code cells. Reads the notebook's cell history
 * (and, when persistence is on, the readouts saved in cell metadata); survives
 * windowed notebooks, moved and deleted cells, and the notebook closing.
 */
export class NotebookBadges implements IDisposable {
  constructor(options: NotebookBadges.IOptions) {
    this._panel = options.panel;
    this._history = options.history;
    this._settings = options.settings;
    this._history.changed.connect(this._onHistoryChanged, this);
    this._settings.changed.connect(this._schedule, this);
    const notebook = this._panel.content;
    notebook.model?.cells.changed.connect(this._schedule, this);
    notebook.modelChanged.connect(this._schedule, this);
    this._panel.disposed.connect(this.dispose, this);
    void this._panel.context.ready.then(() => this._schedule());
    this._schedule();
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    if (this._frame !== null) {
      cancelAnimationFrame(this._frame);
    }
    this._history.changed.disconnect(this._onHistoryChanged, this);
    this._settings.changed.disconnect(this._schedule, this);
    const notebook = this._panel.content;
    notebook.model?.cells.changed.disconnect(this._schedule, this);
    notebook.modelChanged.disconnect(this._schedule, this);
    this._panel.disposed.disconnect(this.dispose, this);
    for (const cell of this._watched) {
      cell.inViewportChanged.disconnect(this._onViewport, this);
    }
    this._watched.clear();
  }

  private _onHistoryChanged(): void {
    if (this._settings.value.persistInNotebook) {
      this._persist();
    }
    this._schedule();
  }

  /** Render once per frame however many changes arrive. */
  private _schedule(): void {
    if (this._isDisposed || this._frame !== null) {
      return;
    }
    this._frame = requestAnimationFrame(() => {
      this._frame = null;
      this._renderAll();
    });
  }

  private _renderAll(): void {
    if (this._isDisposed) {
      return;
    }
    const seen = new Set<Cell>();
    for (const cell of this._panel.content.widgets) {
      seen.add(cell);
      if (!this._watched.has(cell)) {
        // A windowed notebook re-attaches cells as they scroll into view.
        cell.inViewportChanged.connect(this._onViewport, this);
        this._watched.add(cell);
      }
      this._render(cell);
    }
    for (const cell of this._watched) {
      if (!seen.has(cell)) {
        cell.inViewportChanged.disconnect(this._onViewport, this);
        this._watched.delete(cell);
      }
    }
  }

  private _onViewport(cell: Cell): void {
    this._render(cell);
  }

  private _render(cell: Cell): void {
    const existing = cell.node.querySelector<HTMLElement>(
      `:scope > .${BADGE_CLASS}`
    );
    const settings = this._settings.value;
    const shown = cell.model.type === 'code' && settings.showBadges;
    const running = this._history.running;
    if (shown && running && running.cell_id === cell.model.id) {
      // The cell runs now: its live readings, at least once a second.
      const badge = Private.cleared(existing ?? this._createBadge(cell));
      badge.textContent = liveBadgeText(running, settings.units);
      badge.title = liveTooltip(running, settings.units);
      badge.dataset.level = 'normal';
      badge.dataset.live = 'true';
      badge.dataset.rss = String(running.rss ?? '');
      badge.dataset.executionCount = String(running.execution_count ?? '');
      badge.classList.remove('jp-mod-error');
      return;
    }
    const exit = shown ? this._history.exitFor(cell.model.id) : null;
    if (exit) {
      // The kernel ended while this cell ran: say how, with its last readings.
      const badge = Private.cleared(existing ?? this._createBadge(cell));
      badge.textContent = exitBadgeText(exit, settings.units);
      badge.title = exitSentence(exit, settings.units);
      badge.dataset.level = 'alert';
      badge.dataset.exitCause = exit.cause;
      badge.dataset.executionCount = String(exit.execution_count ?? '');
      badge.classList.add('jp-mod-error');
      return;
    }
    const death = shown ? this._history.deathFor(cell.model.id) : null;
    if (death) {
      // The kernel died this moment while this cell ran; the cause comes later.
      const badge = Private.cleared(existing ?? this._createBadge(cell));
      badge.textContent = deathBadgeText(death, settings.units);
      badge.title = deathSentence(death, settings.units);
      badge.dataset.level = 'alert';
      badge.dataset.died = 'true';
      badge.dataset.executionCount = String(death.executionCount ?? '');
      badge.classList.add('jp-mod-error');
      return;
    }
    const record = shown ? this._recordFor(cell) : null;
    if (!record) {
      existing?.remove();
      return;
    }
    const badge = Private.cleared(existing ?? this._createBadge(cell));
    const level = badgeLevel(
      record,
      settings.warnThresholdMiB,
      settings.alertThresholdMiB
    );
    badge.textContent = badgeText(record, settings.units);
    badge.title = badgeTooltip(record, settings.units);
    badge.dataset.level = level;
    badge.dataset.executionCount = String(record.execution_count ?? '');
    // Under the "hide badges under" size: a dot, its readout on hover.
    badge.dataset.small = String(
      isTrivial(record, settings.hideBadgesUnderMiB)
    );
    badge.classList.toggle('jp-mod-error', !record.success);
  }

  private _createBadge(cell: Cell): HTMLElement {
    const badge = document.createElement('div');
    badge.className = BADGE_CLASS;
    // A button: click, Enter or Space opens the whole readout in a popover.
    makePopoverButton(badge, () => badge.title);
    const input = cell.node.querySelector(':scope > .jp-Cell-inputWrapper');
    if (input) {
      input.insertAdjacentElement('afterend', badge);
    } else {
      cell.node.appendChild(badge);
    }
    return badge;
  }

  private _recordFor(cell: Cell): ICellRecord | null {
    const live = this._history.latestFor(cell.model.id);
    if (live || !this._settings.value.persistInNotebook) {
      return live;
    }
    try {
      const saved = cell.model.getMetadata(METADATA_KEY);
      return saved === undefined ? null : parseCellRecord(saved);
    } catch {
      return null; // Metadata edited by hand or by another version: no badge.
    }
  }

  /** Save each cell's newest readout in its metadata, once per record. */
  private _persist(): void {
    for (const cell of this._panel.content.widgets) {
      if (cell.model.type !== 'code') {
        continue;
      }
      const record = this._history.latestFor(cell.model.id);
      if (!record || this._saved.get(cell.model.id) === record) {
        continue;
      }
      this._saved.set(cell.model.id, record);
      cell.model.setMetadata(METADATA_KEY, { ...record });
    }
  }

  private _panel: NotebookPanel;
  private _history: CellHistoryModel;
  private _settings: SettingsModel;
  private _watched = new Set<Cell>();
  private _saved = new Map<string, ICellRecord>();
  private _frame: number | null = null;
  private _isDisposed = false;
}

/** NotebookBadges' options. */
export namespace NotebookBadges {
  export interface IOptions {
    panel: NotebookPanel;
    history: CellHistoryModel;
    settings: SettingsModel;
  }
}

namespace Private {
  /** The badge without the marks of its other states (live, died, exit). */
  export function cleared(badge: HTMLElement): HTMLElement {
    for (const key of ['live', 'rss', 'died', 'exitCause', 'small']) {
      delete badge.dataset[key];
    }
    return badge;
  }
}
