import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { renderTreemap } from './treemap';
import type { VariablesFetcher } from './fetcher';
import type { SettingsModel } from '../common/settings';
import { filterRows, sortRows, type SortKey } from './rows';
import {
  createColumnChooser,
  createSortSelect,
  syncColumnChooser,
  syncSortSelect
} from './controls';
import {
  chosenColumns,
  hasDeviceBytes,
  nextSort,
  offeredColumns,
  OPTIONAL_COLUMNS,
  shownColumns
} from './columns';
import { renderStatus } from './status';
import { OUTPUT_CACHE, renderTable } from './table';

/**
 * The Variables section: every user variable with getsizeof, deep and retained
 * sizes; sortable, filterable, expandable, or as a treemap. It tells its
 * fetcher whether it is visible; the fetcher decides when to size again.
 */
export class VariablesSection extends Widget {
  constructor(options: VariablesSection.IOptions) {
    super();
    this.addClass('jp-MemlensVariables');
    this._settings = options.settings;
    this._settings.changed.connect(this._onChanged, this);
    const controls = this._createControls();
    this._status = document.createElement('div');
    this._status.className = 'jp-MemlensVariables-status';
    this._body = document.createElement('div');
    this._body.className = 'jp-MemlensVariables-body';
    this.node.append(controls, this._status, this._body);
    // From widePx() up, every column fits: watch the width, not the window.
    if (typeof ResizeObserver !== 'undefined') {
      this._resize = new ResizeObserver(entries => {
        const width = entries[entries.length - 1].contentRect.width;
        const wasWide = this._shown().length;
        this._width = width;
        if (this._shown().length !== wasWide) {
          this.update();
        }
      });
      this._resize.observe(this.node);
    }
  }

  /** The active notebook's fetcher; null when no notebook is active. */
  get fetcher(): VariablesFetcher | null {
    return this._fetcher;
  }

  set fetcher(fetcher: VariablesFetcher | null) {
    if (fetcher === this._fetcher) {
      return;
    }
    if (this._fetcher) {
      this._fetcher.model.changed.disconnect(this._onChanged, this);
      this._fetcher.isActive = false;
    }
    this._fetcher = fetcher;
    fetcher?.model.changed.connect(this._onChanged, this);
    this._tellVisibility();
    this.update();
  }

  dispose(): void {
    this._resize?.disconnect();
    this.fetcher = null;
    this._settings.changed.disconnect(this._onChanged, this);
    super.dispose();
  }

  protected onAfterAttach(_msg: Message): void {
    this._tellVisibility();
  }

  protected onBeforeDetach(_msg: Message): void {
    if (this._fetcher) {
      this._fetcher.isActive = false;
    }
  }

  protected onAfterShow(_msg: Message): void {
    this._tellVisibility();
    this.update();
  }

  protected onAfterHide(_msg: Message): void {
    this._tellVisibility();
  }

  protected onUpdateRequest(_msg: Message): void {
    if (!this.isVisible) {
      return;
    }
    const model = this._fetcher?.model ?? null;
    const body = model?.body ?? null;
    renderStatus(this._status, this._fetcher, this._settings.value.units);
    if (!body) {
      this._body.replaceChildren();
      return;
    }
    const rows = [...body.rows];
    if (body.output_cache) {
      rows.push({ ...body.output_cache, name: OUTPUT_CACHE });
    }
    const shown = sortRows(
      filterRows(rows, this._filter),
      this._sortKey,
      this._descending
    );
    if (this._view === 'treemap') {
      const caption = document.createElement('div');
      caption.className = 'jp-MemlensVariables-treemapCaption';
      caption.textContent =
        'Retained bytes: what deleting each variable would free (darker is bigger)';
      const host = document.createElement('div');
      host.className = 'jp-MemlensVariables-treemap';
      this._body.replaceChildren(caption, host);
      void renderTreemap(host, shown, this._settings.value.units);
      return;
    }
    const offered = this._offered();
    const columns = this._shown();
    if (this._sortSelect) {
      syncSortSelect(this._sortSelect, this._sortKey, offered);
    }
    if (this._chooser) {
      syncColumnChooser(this._chooser, columns, offered);
    }
    this._body.replaceChildren(
      renderTable(shown, {
        shown: columns,
        sortKey: this._sortKey,
        descending: this._descending,
        units: this._settings.value.units,
        model,
        onSort: key => this._sort(key),
        onExpand: path => void this._fetcher?.expand(path),
        onCollapse: path => this._fetcher?.collapse(path),
        onMore: path => void this._fetcher?.more(path)
      })
    );
  }

  private _createControls(): HTMLElement {
    const controls = document.createElement('div');
    controls.className = 'jp-MemlensVariables-controls';
    const filter = document.createElement('input');
    filter.type = 'search';
    filter.placeholder = 'Filter by name or type';
    filter.className = 'jp-MemlensVariables-filter jp-mod-styled';
    filter.setAttribute('aria-label', 'Filter variables by name or type');
    filter.addEventListener('input', () => {
      this._filter = filter.value;
      this.update();
    });
    const view = document.createElement('button');
    view.className = 'jp-MemlensVariables-view jp-mod-styled';
    view.textContent = 'Treemap';
    view.title = 'Show retained sizes as a treemap';
    view.addEventListener('click', () => {
      this._view = this._view === 'table' ? 'treemap' : 'table';
      view.textContent = this._view === 'table' ? 'Treemap' : 'Table';
      view.title =
        this._view === 'table'
          ? 'Show retained sizes as a treemap'
          : 'Show the table of variables';
      this.update();
    });
    this._sortSelect = createSortSelect(this._sortKey, key => this._sort(key));
    this._chooser = createColumnChooser((key, checked) => {
      // From the saved choice, which may name the GPU column while no GPU
      // data offers it; without one, from what this width shows, the GPU
      // column included when wide (it is among "all columns").
      const chosen = new Set(
        chosenColumns(this._settings.value) ??
          shownColumns(null, this._width, OPTIONAL_COLUMNS)
      );
      if (checked) {
        chosen.add(key);
      } else {
        chosen.delete(key);
      }
      // Saved in the settings registry, so the choice outlives the session.
      this._settings.save(
        'variablesColumns',
        OPTIONAL_COLUMNS.filter(column => chosen.has(column))
      );
    });
    controls.append(filter, view, this._sortSelect, this._chooser);
    return controls;
  }

  /** The keys of the columns shown now. */
  private _shown(): SortKey[] {
    return shownColumns(
      chosenColumns(this._settings.value),
      this._width,
      this._offered()
    );
  }

  /** The optional columns offered now: the GPU one only while some variable (or Out) reaches GPU memory. */
  private _offered(): SortKey[] {
    const body = this._fetcher?.model.body ?? null;
    const sized = body ? [...body.rows, body.output_cache ?? {}] : [];
    return offeredColumns(hasDeviceBytes(sized));
  }

  private _sort(key: SortKey): void {
    const next = nextSort(
      { key: this._sortKey, descending: this._descending },
      key
    );
    this._sortKey = next.key;
    this._descending = next.descending;
    this.update();
  }

  private _onChanged(): void {
    this.update();
  }

  /** The fetcher sizes variables only while someone can see them. */
  private _tellVisibility(): void {
    if (this._fetcher) {
      this._fetcher.isActive = this.isVisible;
    }
  }

  private _settings: SettingsModel;
  private _fetcher: VariablesFetcher | null = null;
  private _status: HTMLElement;
  private _body: HTMLElement;
  private _filter = '';
  private _sortKey: SortKey = 'retained';
  private _descending = true;
  private _view: 'table' | 'treemap' = 'table';
  private _width = 0;
  private _resize: ResizeObserver | null = null;
  private _sortSelect: HTMLSelectElement | null = null;
  private _chooser: HTMLElement | null = null;
}

/** VariablesSection's options. */
export namespace VariablesSection {
  export interface IOptions {
    settings: SettingsModel;
  }
}
