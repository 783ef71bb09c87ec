import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { PAGE_SIZE } from '../common/constants';
import { formatBytes } from '../common/format';
import { renderTreemap } from './treemap';
import type { VariablesFetcher } from './fetcher';
import { pathKey } from './model';
import type { IChildRow, IVariableRow, PathStep } from '../wire/protocol';
import type { SettingsModel } from '../common/settings';
import {
  filterRows,
  flagsText,
  ratioText,
  retainedText,
  sizeText,
  sortRows,
  type SortKey
} from './rows';
import { createColumnChooser, createSortSelect } from './controls';
import {
  barPercent,
  COLUMNS,
  nextSort,
  secondaryText,
  shownColumns,
  warningFlags
} from './columns';

/** Name of the output cache's row. */
const OUTPUT_CACHE = 'Out';

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
    // Wider than WIDE_PX, every column fits: watch the width, not the window.
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
    this._renderStatus();
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
    this._body.replaceChildren(this._table(shown));
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
      const chosen = new Set(this._shown());
      if (checked) {
        chosen.add(key);
      } else {
        chosen.delete(key);
      }
      this._chosen = chosen;
      this.update();
    });
    controls.append(filter, view, this._sortSelect, this._chooser);
    return controls;
  }

  /** The keys of the columns shown now. */
  private _shown(): SortKey[] {
    return shownColumns(this._chosen, this._width);
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

  private _renderStatus(): void {
    const model = this._fetcher?.model ?? null;
    const body = model?.body ?? null;
    const units = this._settings.value.units;
    const parts: Array<string | HTMLElement> = [];
    if (!this._fetcher) {
      parts.push('Open a notebook to see its variables.');
    } else if (model?.error) {
      parts.push(`Could not size the variables: ${model.error}`);
    } else if (!body) {
      parts.push(
        model?.loading ? 'Sizing variables…' : 'Waiting for the kernel…'
      );
    } else {
      const stats = body.stats;
      // The walker's own memory is a diagnostic: in the tooltip, so the
      // line stays short at 250 px.
      this._status.title = `The walk's own memory peaked at ${formatBytes(stats.walker_peak_bytes, units)}`;
      parts.push(
        `${body.rows.length} variables · ${stats.objects.toLocaleString()} objects in ${stats.elapsed_ms.toFixed(0)} ms`
      );
      if (body.partial) {
        const complete = document.createElement('button');
        complete.className = 'jp-MemlensVariables-complete jp-mod-styled';
        complete.textContent = 'Complete sizes';
        complete.title = 'Sizes marked ≥ hit the time budget; finish them now';
        const names = body.rows.filter(r => r.partial).map(r => r.name);
        complete.addEventListener(
          'click',
          () => void this._fetcher?.complete(names)
        );
        parts.push(complete);
      }
      if (stats.capped) {
        parts.push(
          'The walk stopped at its memory cap (the setting "Variables: memory cap (MiB)"): sizes are lower bounds.'
        );
      }
    }
    this._status.replaceChildren(
      ...parts.map(part => {
        if (typeof part !== 'string') {
          return part;
        }
        const span = document.createElement('span');
        span.textContent = part;
        return span;
      })
    );
    this._status.dataset.loading = String(!!model?.loading);
  }

  private _table(rows: IVariableRow[]): HTMLTableElement {
    const shown = this._shown();
    const table = document.createElement('table');
    table.className = 'jp-MemlensVariables-table';
    table.dataset.columns = String(shown.length);
    const head = table.createTHead().insertRow();
    for (const column of COLUMNS) {
      const th = document.createElement('th');
      th.dataset.key = column.key;
      th.hidden = !shown.includes(column.key);
      // A button in the heading: focusable, and Enter or Space sorts.
      const button = document.createElement('button');
      button.className = 'jp-MemlensVariables-sortButton';
      button.textContent = column.title;
      button.title = `${column.caption} — sort by it`;
      if (column.key === this._sortKey) {
        th.dataset.sorted = this._descending ? 'descending' : 'ascending';
        th.setAttribute('aria-sort', th.dataset.sorted);
      }
      button.addEventListener('click', () => this._sort(column.key));
      th.append(button);
      head.appendChild(th);
    }
    if (this._sortSelect) {
      this._sortSelect.value = this._sortKey;
    }
    for (const box of this._chooser?.querySelectorAll('input') ?? []) {
      box.checked = shown.includes(box.dataset.key as SortKey);
    }
    const largest = Math.max(0, ...rows.map(row => row.retained));
    const tbody = table.createTBody();
    for (const row of rows) {
      const path: PathStep[] = [{ kind: 'name', value: row.name }];
      this._addRow(tbody, row, row.name, path, 0, {
        shown,
        largest,
        isOutputCache: row.name === OUTPUT_CACHE
      });
    }
    return table;
  }

  private _addRow(
    tbody: HTMLTableSectionElement,
    sizes: IVariableRow | IChildRow,
    label: string,
    path: PathStep[],
    depth: number,
    layout: { shown: SortKey[]; largest: number; isOutputCache?: boolean }
  ): void {
    const isOutputCache = !!layout.isOutputCache;
    const units = this._settings.value.units;
    const model = this._fetcher?.model;
    const expansion = model?.expansions.get(pathKey(path));
    const tr = tbody.insertRow();
    tr.className = 'jp-MemlensVariables-row';
    tr.dataset.depth = String(depth);
    tr.dataset.name = label;
    tr.classList.toggle('jp-mod-outputCache', isOutputCache);

    const nameCell = tr.insertCell();
    nameCell.className = 'jp-MemlensVariables-name';
    nameCell.style.paddingLeft = `${4 + depth * 12}px`;
    if (sizes.expandable) {
      const toggle = document.createElement('button');
      toggle.className = 'jp-MemlensVariables-toggle';
      toggle.textContent = expansion ? '▾' : '▸';
      toggle.setAttribute('aria-expanded', String(!!expansion));
      toggle.setAttribute(
        'aria-label',
        `${expansion ? 'Collapse' : 'Expand'} ${label}`
      );
      toggle.addEventListener('click', () => {
        if (expansion) {
          this._fetcher?.collapse(path);
        } else {
          void this._fetcher?.expand(path);
        }
      });
      nameCell.append(toggle);
    }
    const name = document.createElement('span');
    name.className = 'jp-MemlensVariables-label';
    name.textContent = isOutputCache ? 'Out (output cache)' : label;
    name.title = label;
    nameCell.append(name);
    const warnings = warningFlags(sizes.flags);
    if (warnings.length) {
      const flag = document.createElement('span');
      flag.className = 'jp-MemlensVariables-flag';
      flag.textContent = '⚠';
      flag.title = flagsText(warnings);
      flag.setAttribute('aria-label', flagsText(warnings));
      nameCell.append(flag);
    }
    const secondary = secondaryText(sizes, layout.shown);
    if (secondary) {
      const line = document.createElement('div');
      line.className = 'jp-MemlensVariables-secondary';
      line.textContent = secondary;
      line.title = secondary;
      nameCell.append(line);
    }
    // Every flag, including those the "≥" already says, in the row's tooltip.
    const why = flagsText(sizes.flags);
    const cells: Array<[SortKey, string]> = [
      ['type', sizes.type],
      ['shape', sizes.shape ?? ''],
      ['getsizeof', formatBytes(sizes.getsizeof, units)],
      ['deep', sizeText(sizes.deep, sizes.partial, units)],
      ['retained', retainedText(sizes.retained, sizes.partial, units)],
      ['ratio', ratioText(sizes)]
    ];
    for (const [key, text] of cells) {
      const td = tr.insertCell();
      td.dataset.key = key;
      // Columns not shown stay in the DOM, hidden: choosing one is a re-render
      // away, and the row keeps all its numbers for whoever reads the page.
      td.hidden = !layout.shown.includes(key);
      td.title = why ? `${text}\n${why}` : text;
      if (key !== 'retained') {
        td.textContent = text;
        continue;
      }
      const value = document.createElement('span');
      value.className = 'jp-MemlensVariables-value';
      value.textContent = text;
      const bar = document.createElement('div');
      bar.className = 'jp-MemlensVariables-bar';
      const fill = document.createElement('div');
      fill.style.width = `${barPercent(sizes.retained, layout.largest).toFixed(1)}%`;
      bar.append(fill);
      td.append(value, bar);
    }

    if (!expansion) {
      return;
    }
    const page = expansion.page;
    for (const child of page?.children ?? []) {
      this._addRow(
        tbody,
        child,
        child.label,
        [...path, child.step],
        depth + 1,
        {
          shown: layout.shown,
          largest: layout.largest
        }
      );
    }
    const left = page ? page.total - page.children.length : 0;
    if (expansion.loading || expansion.error || left > 0) {
      const more = tbody.insertRow();
      more.className = 'jp-MemlensVariables-more';
      const td = more.insertCell();
      td.colSpan = layout.shown.length;
      td.style.paddingLeft = `${16 + depth * 12}px`;
      if (expansion.loading) {
        td.textContent = 'Loading…';
      } else if (expansion.error) {
        td.textContent = expansion.error;
      } else {
        const button = document.createElement('button');
        button.className = 'jp-MemlensVariables-showMore jp-mod-styled';
        button.textContent = `Show ${Math.min(left, PAGE_SIZE)} more of ${left}`;
        button.addEventListener('click', () => void this._fetcher?.more(path));
        td.append(button);
      }
    }
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
  /** The optional columns the user chose; null until they choose. */
  private _chosen: ReadonlySet<SortKey> | null = null;
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
