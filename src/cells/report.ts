/**
 * Pure: a notebook's cell history as files to export (CSV, JSON, a
 * self-contained HTML page with its chart). Sizes stay in bytes in CSV and
 * JSON; the HTML page formats them. How a kernel ended (killed, crashed, or a
 * death whose cause the next kernel had not said yet) is a row of its own.
 */

import { deathSentence, exitSentence } from './exit';
import { peakAbove, rssDelta } from './readout';
import { formatBytes, formatDelta, formatDuration } from '../common/format';
import type { HistoryEntry } from './model';
import { chartSvg } from './chart';
import { gpuColumns, gpuDevices, gpuValues } from './gpuCsv';
import { retainedIsApprox, retainedText, sizeText } from '../variables/rows';
import {
  PROTOCOL_VERSION,
  type ICellRecord,
  type IVariableRow
} from '../wire/protocol';
import type { Units } from '../common/settings';

/** Who the report is about. */
export interface IReportMeta {
  notebook: string;
  /** ISO time of the export. */
  exportedAt: string;
}

/** One exported row: a record and the kernel process it came from. */
interface IRow {
  pid: number;
  record: ICellRecord;
}

function rows(entries: ReadonlyArray<HistoryEntry>): IRow[] {
  const out: IRow[] = [];
  for (const entry of entries) {
    if (entry.kind === 'record') {
      out.push({ pid: entry.pid, record: entry.record });
    }
  }
  return out;
}

const CSV_COLUMNS = [
  'kernel_pid',
  'seq',
  'execution_count',
  'cell_id',
  'preview',
  'started',
  'duration_s',
  'success',
  'rss_before',
  'rss_after',
  'rss_delta',
  'rss_peak',
  'peak_above_start',
  'peak_method',
  'python_delta',
  'allocator_free_delta',
  'native_delta',
  'output_cache_delta',
  'kernel_exit'
] as const;

type CsvRow = Partial<Record<(typeof CSV_COLUMNS)[number], unknown>>;

/** The CSV row of a kernel's end: `kernel_exit` says how (`died`: not yet known). */
function exitRow(entry: HistoryEntry): CsvRow | null {
  if (entry.kind === 'exit') {
    const report = entry.report;
    return {
      kernel_pid: report.pid,
      execution_count: report.execution_count,
      cell_id: report.cell_id,
      preview: report.preview,
      started:
        report.updated === null
          ? null
          : new Date(report.updated * 1000).toISOString(),
      success: false,
      rss_after: report.rss_last,
      rss_peak: report.rss_peak,
      kernel_exit: report.cause
    };
  }
  if (entry.kind === 'died') {
    const death = entry.death;
    return {
      kernel_pid: death.pid,
      execution_count: death.executionCount,
      cell_id: death.cellId,
      started: new Date(death.seenAt).toISOString(),
      success: false,
      rss_after: death.reading?.rss ?? null,
      rss_peak: death.reading?.rss_peak ?? null,
      kernel_exit: 'died'
    };
  }
  return null;
}

/**
 * One CSV field. A string that a spreadsheet would read as a formula (it starts
 * with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'` and
 * quotes, as OWASP advises against CSV injection; numbers stay numbers.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  let text = String(value);
  const formula = typeof value === 'string' && /^[=+\-@\t\r]/.test(text);
  if (formula) {
    text = `'${text}`;
  }
  return formula || /[",\n\r]/.test(text)
    ? `"${text.replace(/"/g, '""')}"`
    : text;
}

/**
 * The history as CSV, oldest first, one row per executed cell and one per
 * kernel end (`kernel_exit`: oom_kill, killed, crashed, exited, or died while
 * its cause is unknown), sizes in bytes.
 */
export function toCsv(entries: ReadonlyArray<HistoryEntry>): string {
  // GPU columns only when a record has GPU readings (issue #10).
  const devices = gpuDevices(rows(entries).map(row => row.record));
  const lines = [[...CSV_COLUMNS, ...gpuColumns(devices)].join(',')];
  for (const entry of entries) {
    let values = exitRow(entry);
    if (entry.kind === 'record') {
      const { pid, record } = entry;
      values = {
        kernel_pid: pid,
        seq: record.seq,
        execution_count: record.execution_count,
        cell_id: record.cell_id,
        preview: record.preview,
        started: new Date(record.started * 1000).toISOString(),
        duration_s: record.duration_s,
        success: record.success,
        rss_before: record.rss_before,
        rss_after: record.rss_after,
        rss_delta: rssDelta(record),
        rss_peak: record.rss_peak,
        peak_above_start: peakAbove(record),
        peak_method: record.peak_method,
        python_delta: record.python_delta,
        allocator_free_delta: record.allocator_free_delta,
        native_delta: record.native_delta,
        output_cache_delta: record.output_cache_delta
      };
    }
    if (values) {
      const row = values;
      const gpu = gpuValues(
        entry.kind === 'record' ? entry.record : null,
        devices
      );
      lines.push(
        [...CSV_COLUMNS.map(column => row[column]), ...gpu]
          .map(csvField)
          .join(',')
      );
    }
  }
  return lines.join('\r\n') + '\r\n';
}

/** The history as JSON: the records as the kernel sent them, with their process. */
export function toJson(
  entries: ReadonlyArray<HistoryEntry>,
  meta: IReportMeta
): string {
  return JSON.stringify(
    {
      memlens_report: 1,
      protocol_version: PROTOCOL_VERSION,
      notebook: meta.notebook,
      exported_at: meta.exportedAt,
      cells: rows(entries).map(({ pid, record }) => ({
        kernel_pid: pid,
        ...record
      })),
      kernel_exits: entries.flatMap((entry): Record<string, unknown>[] =>
        entry.kind === 'exit'
          ? [{ kernel_pid: entry.report.pid, ...entry.report }]
          : entry.kind === 'died'
            ? [
                {
                  kernel_pid: entry.death.pid,
                  cause: null,
                  cell_id: entry.death.cellId,
                  execution_count: entry.death.executionCount,
                  last_reading: entry.death.reading
                }
              ]
            : []
      )
    },
    null,
    2
  );
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

export { chartSvg } from './chart';

/** The last Variables rows the sidebar had, as a table (empty string when none). */
export function variablesTable(
  rows: ReadonlyArray<IVariableRow> | null,
  units: Units
): string {
  if (!rows || rows.length === 0) {
    return '';
  }
  // The sidebar's marks: "≥" on a cut walk's deep size, "≈" on a retained
  // size that is not exact (cut walk, or kept from an earlier walk: stale).
  const body = rows
    .map(row =>
      [
        row.name,
        row.type,
        retainedText(row.retained, retainedIsApprox(row), units),
        sizeText(row.deep, row.partial, units),
        formatBytes(row.getsizeof, units)
      ]
        .map(cell => `<td>${escapeHtml(cell)}</td>`)
        .join('')
    )
    .map(cells => `<tr>${cells}</tr>`)
    .join('\n');
  return `<h2>Variables (the last sizes the sidebar had)</h2>
<table class="variables">
<thead><tr><th>name</th><th>type</th><th>retained</th><th>deep</th><th>getsizeof</th></tr></thead>
<tbody>
${body}
</tbody>
</table>`;
}

/** A self-contained HTML page: the chart and the table, no scripts, no network. */
export function toHtml(
  entries: ReadonlyArray<HistoryEntry>,
  meta: IReportMeta,
  units: Units,
  variables: ReadonlyArray<IVariableRow> | null = null
): string {
  const body = entries
    .map(entry => {
      if (entry.kind === 'exit' || entry.kind === 'died') {
        const sentence =
          entry.kind === 'exit'
            ? exitSentence(entry.report, units)
            : deathSentence(entry.death, units);
        return `<tr class="exit"><td>${escapeHtml(String(entry.pid ?? ''))}</td><td colspan="9">${escapeHtml(sentence)}</td></tr>`;
      }
      if (entry.kind !== 'record') {
        return '';
      }
      const { pid, record } = entry;
      const cells = [
        String(pid),
        record.execution_count === null ? '' : `[${record.execution_count}]`,
        record.preview,
        formatDelta(rssDelta(record), units),
        record.peak_method === 'none'
          ? '—'
          : formatDelta(peakAbove(record), units),
        record.peak_method,
        formatDelta(record.allocator_free_delta, units),
        formatDelta(record.output_cache_delta, units),
        formatDuration(record.duration_s),
        record.success ? '' : 'error'
      ];
      return `<tr>${cells.map(c => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
    })
    .filter(row => row !== '')
    .join('\n');
  const title = `memlens cell report — ${meta.notebook}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 2px 8px; border-bottom: 1px solid #ddd; text-align: right; white-space: nowrap; }
table.variables td:nth-child(-n + 2) { text-align: left; font-family: monospace; }
td:nth-child(3) { text-align: left; font-family: monospace; max-width: 30em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
svg { max-width: 760px; display: block; margin: 1em 0; }
tr.exit td { text-align: left; color: #a94442; background: #f2dede; font-weight: 600; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>Exported ${escapeHtml(meta.exportedAt)}.</p>
${chartSvg(entries, units)}
<table>
<thead><tr><th>pid</th><th>#</th><th>cell</th><th>Δ RSS</th><th>peak</th><th>peak method</th><th>held free Δ</th><th>output cache Δ</th><th>time</th><th></th></tr></thead>
<tbody>
${body}
</tbody>
</table>
${variablesTable(variables, units)}
</body>
</html>
`;
}
