import { deathSentence, exitSentence } from './exit';
import { peakAbove, rssDelta } from './readout';
import { formatDelta, formatDuration } from '../common/format';
import { holdingNow } from './holding';
import { renderHolding } from './holdingView';
import type { CellHistoryModel, HistoryEntry } from './model';
import { ModelSection } from '../sidebar/section';
import { renderTimeline } from './timeline';
import type { VariablesFetcher } from '../variables/fetcher';

/** What the section shows: the history, its chart, or what cells hold now. */
type View = 'table' | 'chart' | 'holding';

/** Rows drawn at most; older ones stay in the model. */
const MAX_ROWS = 300;

/**
 * The Cells section: the kernel's execution history, newest first, as a table
 * or a chart, or the cells that hold memory now. Clicking a row asks for its
 * cell to be shown. Renders only while visible.
 */
export class CellsSection extends ModelSection<CellHistoryModel> {
  constructor(options: CellsSection.IOptions) {
    super(options);
    this.addClass('jp-MemlensCells');
    this._onSelect = options.onSelect;
  }

  /**
   * The Variables of the same notebook: their retained sizes are what the
   * "Holding now" view joins with the cells' bound names.
   */
  get variables(): VariablesFetcher | null {
    return this._variables;
  }

  set variables(fetcher: VariablesFetcher | null) {
    if (fetcher === this._variables) {
      return;
    }
    this._variables?.model.changed.disconnect(this._onVariables, this);
    this._variables = fetcher;
    this._sizedAt = -1;
    fetcher?.model.changed.connect(this._onVariables, this);
    this.update();
  }

  dispose(): void {
    this.variables = null;
    super.dispose();
  }

  private _onVariables(): void {
    if (this._view === 'holding') {
      this.update();
    }
  }

  private _button(
    className: string,
    label: string,
    title: string,
    view: View
  ): HTMLButtonElement {
    const button = document.createElement('button');
    button.className = `${className} jp-mod-styled`;
    button.textContent = label;
    button.title = title;
    button.addEventListener('click', () => {
      this._view = view;
      this.update();
    });
    return button;
  }

  protected render(model: CellHistoryModel | null): void {
    const entries = model?.entries ?? [];
    if (entries.length === 0) {
      const empty = document.createElement('p');
      empty.className = 'jp-MemlensCells-empty';
      empty.textContent = 'Run a cell to see what it did to memory.';
      this.node.replaceChildren(empty);
      return;
    }
    // A table of the history, a chart of it over time (plotly, lazily), or
    // what the cells hold now.
    const chart = this._view === 'chart';
    const holding = this._view === 'holding';
    const views = document.createElement('div');
    views.className = 'jp-MemlensCells-views';
    views.append(
      holding
        ? this._button(
            'jp-MemlensCells-holding',
            'Table',
            'Show the cells as a table',
            'table'
          )
        : this._button(
            'jp-MemlensCells-holding',
            'Holding now',
            'Show which cells hold memory now: the variables each bound last and its Out[n]',
            'holding'
          ),
      chart
        ? this._button(
            'jp-MemlensCells-view',
            'Table',
            'Show the cells as a table',
            'table'
          )
        : this._button(
            'jp-MemlensCells-view',
            'Chart',
            'Show each cell’s change and the RSS over time',
            'chart'
          )
    );
    if (holding && model) {
      this.node.replaceChildren(views, this._holding(model));
      return;
    }
    if (!chart) {
      this.node.replaceChildren(views, this._table(entries));
      return;
    }
    const host = document.createElement('div');
    host.className = 'jp-MemlensCells-chart';
    this.node.replaceChildren(views, host);
    void renderTimeline(
      host,
      entries,
      this.settings.value.units,
      this._onSelect
    );
  }

  /**
   * What the cells hold now. The variables are sized again when a cell ran
   * since they last were and nothing else sizes them (the Variables section
   * refreshes them itself while it is open).
   */
  private _holding(model: CellHistoryModel): HTMLElement {
    const fetcher = this._variables;
    const seq = model.lastSeq;
    if (
      fetcher &&
      !fetcher.isActive &&
      !fetcher.model.loading &&
      this._sizedAt !== seq
    ) {
      this._sizedAt = seq;
      void fetcher.refresh();
    }
    const body = fetcher?.model.body ?? null;
    const cells = holdingNow(
      model.entries,
      body ? { rows: body.rows, outputCache: body.output_cache } : null,
      model.outPins
    );
    return renderHolding(cells, {
      units: this.settings.value.units,
      sized: body !== null,
      onSelect: this._onSelect
    });
  }

  private _table(entries: ReadonlyArray<HistoryEntry>): HTMLTableElement {
    const units = this.settings.value.units;
    const table = document.createElement('table');
    table.className = 'jp-MemlensCells-table';
    const head = table.createTHead().insertRow();
    for (const title of ['#', 'Cell', 'Δ RSS', 'Peak', 'Time']) {
      const th = document.createElement('th');
      th.textContent = title;
      head.appendChild(th);
    }
    const body = table.createTBody();
    const start = Math.max(0, entries.length - MAX_ROWS);
    for (let i = entries.length - 1; i >= start; i--) {
      const entry = entries[i];
      const row = body.insertRow();
      if (entry.kind === 'restart') {
        row.className = 'jp-MemlensCells-restart';
        const cell = row.insertCell();
        cell.colSpan = 5;
        cell.textContent = `Kernel restarted — new history (pid ${entry.pid})`;
        continue;
      }
      if (entry.kind === 'exit') {
        row.className = 'jp-MemlensCells-exit';
        row.dataset.exitCause = entry.report.cause;
        const cell = row.insertCell();
        cell.colSpan = 5;
        cell.textContent = exitSentence(entry.report, units);
        continue;
      }
      if (entry.kind === 'died') {
        row.className = 'jp-MemlensCells-exit jp-MemlensCells-died';
        const cell = row.insertCell();
        cell.colSpan = 5;
        cell.textContent = deathSentence(entry.death, units);
        continue;
      }
      const record = entry.record;
      row.className = 'jp-MemlensCells-row';
      row.classList.toggle('jp-mod-error', !record.success);
      row.dataset.executionCount = String(record.execution_count ?? '');
      const texts = [
        record.execution_count === null ? '' : `[${record.execution_count}]`,
        record.preview,
        formatDelta(rssDelta(record), units),
        record.peak_method === 'none'
          ? '—'
          : formatDelta(peakAbove(record), units),
        formatDuration(record.duration_s)
      ];
      texts.forEach((text, column) => {
        const cell = row.insertCell();
        cell.textContent = text;
        if (column === 1) {
          cell.className = 'jp-MemlensCells-preview';
          cell.title = record.preview;
        }
      });
      const cellId = record.cell_id;
      if (cellId !== null) {
        row.tabIndex = 0;
        row.title = 'Show this cell';
        row.addEventListener('click', () => this._onSelect(cellId));
        row.addEventListener('keydown', event => {
          if (event.key === 'Enter') {
            this._onSelect(cellId);
          }
        });
      }
    }
    return table;
  }

  private _onSelect: (cellId: string) => void;
  private _view: View = 'table';
  private _variables: VariablesFetcher | null = null;
  private _sizedAt = -1;
}

/** CellsSection's options. */
export namespace CellsSection {
  export interface IOptions extends ModelSection.IOptions {
    /** Scroll to and select the cell with this id in the active notebook. */
    onSelect: (cellId: string) => void;
  }
}
