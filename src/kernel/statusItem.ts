import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { formatBytes } from '../common/format';
import type { NotebookConnection } from '../connection/connection';
import type { SettingsModel } from '../common/settings';

/**
 * The status bar's readout of the active notebook kernel's RSS: the running
 * cell's live reading while one runs, else the newer of the last snapshot and
 * the last cell's RSS after.
 */
export class RssStatusItem extends Widget {
  constructor(options: RssStatusItem.IOptions) {
    super();
    this.addClass('jp-MemlensStatus');
    this._settings = options.settings;
    this._settings.changed.connect(this._onChanged, this);
    this.node.title = 'Kernel RSS (memlens) — click to open the Memory panel';
    this.node.addEventListener('click', options.onClick);
  }

  /** Follow this connection; null hides the readout. */
  setConnection(connection: NotebookConnection | null): void {
    this._connection?.model.changed.disconnect(this._onChanged, this);
    this._connection?.history.changed.disconnect(this._onChanged, this);
    this._connection = connection;
    connection?.model.changed.connect(this._onChanged, this);
    connection?.history.changed.connect(this._onChanged, this);
    this.update();
  }

  dispose(): void {
    this.setConnection(null);
    this._settings.changed.disconnect(this._onChanged, this);
    super.dispose();
  }

  protected onUpdateRequest(_msg: Message): void {
    const rss = this._latestRss();
    const live = this._connection?.model.live ?? null;
    this.node.textContent =
      rss === null ? '' : `RSS ${formatBytes(rss, this._settings.value.units)}`;
    this.node.dataset.live = String(live !== null);
  }

  private _latestRss(): number | null {
    const connection = this._connection;
    if (!connection || connection.model.state !== 'connected') {
      return null;
    }
    const live = connection.model.live;
    if (live && live.rss !== null) {
      return live.rss; // a cell runs: its reading, pushed at least once a second
    }
    const snapshot = connection.model.snapshot;
    const entries = connection.history.entries;
    const last = entries.length ? entries[entries.length - 1] : null;
    const record = last?.kind === 'record' ? last.record : null;
    if (record && record.rss_after !== null) {
      const recordEnd = record.started + record.duration_s;
      if (!snapshot || snapshot.rss === null || recordEnd > snapshot.time) {
        return record.rss_after;
      }
    }
    return snapshot?.rss ?? null;
  }

  private _onChanged(): void {
    this.update();
  }

  private _connection: NotebookConnection | null = null;
  private _settings: SettingsModel;
}

/** RssStatusItem's options. */
export namespace RssStatusItem {
  export interface IOptions {
    settings: SettingsModel;
    onClick: () => void;
  }
}
