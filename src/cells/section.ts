import { deathSentence, exitSentence } from './exit';
import { peakAbove, rssDelta } from './readout';
import { formatDelta, formatDuration } from '../common/format';
import type { CellHistoryModel, HistoryEntry } from './model';
import { ModelSection } from '../sidebar/section';
import { renderTimeline } from './timeline';

/** Rows drawn at most; older ones stay in the model. */
const MAX_ROWS = 300;

/**
 * The Cells section: the kernel's execution history, newest first. Clicking a
 * row asks for its cell to be shown. Renders only while visible.
 */
export class CellsSection extends ModelSection<CellHistoryModel> {
  constructor(options: CellsSection.IOptions) {
    super(options);
    this.addClass('jp-MemlensCells');
    this._onSelect = options.onSelect;
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
    // A table of the history, or a chart of it over time (plotly, lazily).
    const toggle = document.createElement('button');
    toggle.className = 'jp-MemlensCells-view jp-mod-styled';
    toggle.textContent = this._chart ? 'Table' : 'Chart';
    toggle.title = this._chart
      ? 'Show the cells as a table'
      : 'Show each cell’s change and the RSS over time';
    toggle.addEventListener('click', () => {
      this._chart = !this._chart;
      this.update();
    });
    if (!this._chart) {
      this.node.replaceChildren(toggle, this._table(entries));
      return;
    }
    const host = document.createElement('div');
    host.className = 'jp-MemlensCells-chart';
    this.node.replaceChildren(toggle, host);
    void renderTimeline(
      host,
      entries,
      this.settings.value.units,
      this._onSelect
    );
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
  private _chart = false;
}

/** CellsSection's options. */
export namespace CellsSection {
  export interface IOptions extends ModelSection.IOptions {
    /** Scroll to and select the cell with this id in the active notebook. */
    onSelect: (cellId: string) => void;
  }
}
