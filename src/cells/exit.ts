/** Words for how a kernel ended (the kernel's `last_exit` report). */

import { formatBytes } from '../common/format';
import type { Units } from '../common/settings';
import type { ExitCause, ILastExit, ILiveBody } from '../wire/protocol';
import type { IDeath } from './model';

const CAUSES: Record<ExitCause, string> = {
  oom_kill: 'killed for lack of memory',
  killed: 'killed by a signal',
  crashed: 'crashed',
  exited: 'exited'
};

/** `killed for lack of memory`, `crashed (Segmentation fault)`, … */
export function causeText(report: ILastExit): string {
  const cause = CAUSES[report.cause];
  return report.signal ? `${cause} (${report.signal})` : cause;
}

/** `2.5 of 4.0 GiB`: both in the limit's unit (just the size when no limit is known). */
export function ofLimit(
  bytes: number | null,
  limit: number | null,
  units: Units = 'binary'
): string {
  if (limit === null || limit <= 0) {
    return formatBytes(bytes, units);
  }
  const base = units === 'binary' ? 1024 : 1000;
  let scale = 1;
  while (limit / scale >= base && scale < base ** 5) {
    scale *= base;
  }
  const unit = formatBytes(scale, units).split(' ')[1];
  const shown = bytes === null ? '—' : (bytes / scale).toFixed(1);
  return `${shown} of ${(limit / scale).toFixed(1)} ${unit}`;
}

/** The badge's text on the cell that was running when the kernel ended. */
export function exitBadgeText(report: ILastExit, units: Units): string {
  return `✖ kernel ${causeText(report)} · RSS ${ofLimit(report.rss_last, report.limit, units)}`;
}

/** One sentence for a notification, the badge's tooltip and the report. */
export function exitSentence(
  report: ILastExit,
  units: Units = 'binary'
): string {
  const where = report.running
    ? ` while cell [${report.execution_count ?? ' '}] ran (${report.preview || 'no preview'})`
    : ' while no cell was running';
  const memory = `last RSS ${ofLimit(report.rss_last, report.limit, units)}, cell peak ${formatBytes(report.rss_peak, units)}`;
  return `The previous kernel was ${causeText(report)}${where}: ${memory} (limit: ${report.limit_source}). Inferred from: ${report.evidence.join('; ')}.`;
}

/** The badge's text on the cell that ran when the kernel died, before the cause is known. */
export function deathBadgeText(death: IDeath, units: Units): string {
  const reading = death.reading;
  const memory = reading
    ? ` · last RSS ${ofLimit(reading.rss, reading.limit, units)}`
    : '';
  return `✖ the kernel died while this cell ran${memory}`;
}

/** One sentence for the death's tooltip, its history row and the report. */
export function deathSentence(death: IDeath, units: Units = 'binary'): string {
  const reading = death.reading;
  const cell = `cell [${death.executionCount ?? ' '}]`;
  const memory = reading
    ? `: last live reading RSS ${ofLimit(reading.rss, reading.limit, units)}, cell peak so far ${formatBytes(reading.rss_peak, units)}`
    : ' (no live reading had come)';
  return `The kernel died while ${cell} ran${memory}. Its cause comes when the kernel restarts.`;
}

/** The running cell's badge: `⏵ running · RSS 2.1 of 4.0 GiB · peak ≥ 2.3 GiB`. */
export function liveBadgeText(reading: ILiveBody, units: Units): string {
  return `⏵ running · RSS ${ofLimit(reading.rss, reading.limit, units)} · peak ≥ ${formatBytes(reading.rss_peak, units)}`;
}

/** The running cell's tooltip: what the live numbers are. */
export function liveTooltip(reading: ILiveBody, units: Units): string {
  return [
    `Running since ${new Date((reading.started ?? reading.time) * 1000).toLocaleTimeString()} (live, read by the kernel a few times a second)`,
    `RSS ${formatBytes(reading.rss, units)} of the ${reading.limit_source} limit ${formatBytes(reading.limit, units)}`,
    `Charged to that limit: ${formatBytes(reading.charged, units)}`,
    `This cell's peak so far: at least ${formatBytes(reading.rss_peak, units)} (sampled)`
  ].join('\n');
}
