/** Pure: what a cell's badge says, its tooltip and its colour. */

import { MIB } from '../common/constants';
import { formatBytes, formatDelta, formatDuration } from '../common/format';
import type { ICellRecord } from '../wire/protocol';
import { gpuBadgePart, gpuTooltipLines } from '../kernel/gpuText';
import type { Units } from '../common/settings';

/** The badge's colour band. */
export type Level = 'normal' | 'warn' | 'alert';

/** RSS after minus before; null when either is unknown. */
export function rssDelta(record: ICellRecord): number | null {
  return record.rss_before === null || record.rss_after === null
    ? null
    : record.rss_after - record.rss_before;
}

/** Peak above the RSS at the cell's start; null when unknown. */
export function peakAbove(record: ICellRecord): number | null {
  return record.rss_before === null || record.rss_peak === null
    ? null
    : Math.max(0, record.rss_peak - record.rss_before);
}

/** One line, e.g. `RSS +120.4 MiB · peak +301.0 MiB · 1.24 s`. */
export function badgeText(record: ICellRecord, units: Units): string {
  const parts = [`RSS ${formatDelta(rssDelta(record), units)}`];
  if (record.peak_method !== 'none') {
    const sampled = record.peak_method === 'sampled' ? '≈' : '';
    parts.push(`peak ${sampled}${formatDelta(peakAbove(record), units)}`);
  }
  parts.push(formatDuration(record.duration_s));
  const pinned = record.output_cache_delta;
  // A pin still being sized is a lower bound: on the badge, marked ≥, until the kernel
  // completes it in the background (the tooltip always has the number).
  if (
    record.output_cache_complete === false &&
    pinned !== null &&
    Math.abs(pinned) >= MIB
  ) {
    parts.push(`Out pins ≥ ${formatDelta(pinned, units)}`);
  } else if (pinsMostOfIt(record)) {
    parts.push(`Out pins ${formatDelta(pinned, units)}`);
  }
  // Device memory, only when a GPU was in use (never part of the RSS above).
  const gpu = gpuBadgePart(record, units);
  if (gpu) {
    parts.push(gpu);
  }
  // Precise mode slows cells down: the badge says it was on.
  if (record.precise) {
    parts.push('precise');
  }
  return parts.join(' · ');
}

/**
 * Whether the output cache newly pins at least 1 MiB and at least half of the
 * cell's RSS change: then the pin is the main part of the change, and the
 * badge says so (the user can free it with %xdel, not with del).
 */
export function pinsMostOfIt(record: ICellRecord): boolean {
  const pinned = record.output_cache_delta;
  const delta = rssDelta(record);
  return (
    pinned !== null &&
    pinned >= MIB &&
    (delta === null || pinned >= Math.abs(delta) / 2)
  );
}

/** Where an allocation site is: `cell [9], line 1` for a cell's code, else `file:line`. */
export function siteText(site: {
  file: string;
  line: number;
  cell?: number | null;
}): string {
  return site.cell === undefined || site.cell === null
    ? `${site.file}:${site.line}`
    : `cell [${site.cell}], line ${site.line}`;
}

/** The output-cache line of the tooltip: ≥ while the pin's size is a lower bound. */
function pinnedText(record: ICellRecord, units: Units): string {
  const text = formatDelta(record.output_cache_delta, units);
  return record.output_cache_complete === false
    ? `≥ ${text} (cut short by the cell's budget; the kernel completes it in the background)`
    : text;
}

/** Colour by the larger of the RSS change and the peak, against the thresholds (MiB). */
export function badgeLevel(
  record: ICellRecord,
  warnMiB: number,
  alertMiB: number
): Level {
  const size = Math.max(rssDelta(record) ?? 0, peakAbove(record) ?? 0);
  if (size >= alertMiB * MIB) {
    return 'alert';
  }
  if (size >= warnMiB * MIB) {
    return 'warn';
  }
  return 'normal';
}

/** How the peak was measured, in plain words (for a data scientist). */
export function peakMethodText(record: ICellRecord): string {
  switch (record.peak_method) {
    case 'exact':
      return "exact: the kernel's high-water mark, reset at the cell's start";
    case 'sampled':
      return `sampled every ${formatDuration(record.sample_interval_s ?? 0)}: short spikes can be missed`;
    default:
      return 'not measured on this platform';
  }
}

/**
 * How the peak was measured, by its technical names (for an engineer), or
 * null when the plain words say it all.
 */
export function peakMethodDetail(record: ICellRecord): string | null {
  switch (record.peak_method) {
    case 'exact':
      return '(VmHWM of /proc/self/status, reset through /proc/self/clear_refs)';
    case 'sampled':
      return '(RSS from /proc/self/statm, polled on a thread)';
    default:
      return null;
  }
}

/** An indented line under the one above, if there is one. */
function detailLines(detail: string | null): string[] {
  return detail === null ? [] : [`  ${detail}`];
}

/**
 * Child processes' peak: above 0 it is a lower bound (their summed peak can
 * fall between the 50 ms readings), so it reads `≥ 500.0 MiB`; 0 is exact.
 */
export function childrenPeakText(peak: number, units: Units): string {
  return peak > 0 ? `≥ ${formatBytes(peak, units)}` : formatBytes(peak, units);
}

/** The whole record, a line per fact, for the badge's tooltip. */
export function badgeTooltip(record: ICellRecord, units: Units): string {
  const bytes = (n: number | null): string => formatBytes(n, units);
  const delta = (n: number | null): string => formatDelta(n, units);
  const lines = [
    `Execution ${record.execution_count ?? '—'}${record.success ? '' : ' (raised an error)'} · ${formatDuration(record.duration_s)}`,
    `RSS before ${bytes(record.rss_before)} → after ${bytes(record.rss_after)} (${delta(rssDelta(record))})`,
    `Peak ${bytes(record.rss_peak)} (${delta(peakAbove(record))} above the start), ${peakMethodText(record)}`,
    ...detailLines(peakMethodDetail(record)),
    '',
    'The RSS change is made of:',
    `  heap in use (live Python objects and malloc)   ${delta(record.python_delta)}`,
    `  held free by the allocators (fragmentation)   ${delta(record.allocator_free_delta)}`,
    `  outside the allocators (mmaps, stacks, untouched pages)   ${delta(record.native_delta)}`,
    '',
    `Newly pinned by the output cache (Out, _): ${pinnedText(record, units)}`,
    '  (kept alive after del; not part of the sum above)'
  ];
  const pools = Object.entries(record.native_pools ?? {}).filter(
    ([, change]) => typeof change === 'number' && change !== 0
  );
  for (const [pool, change] of pools) {
    lines.push(
      `  of which in ${pool}'s memory pool: ${delta(change as number)}`
    );
  }
  if (record.children_peak !== undefined && record.children_peak !== null) {
    lines.push(
      '',
      `Child processes' peak: ${childrenPeakText(record.children_peak, units)}`,
      '  (subprocesses, fork children, pool workers: their own memory, not in the RSS above)'
    );
  }
  lines.push(...gpuTooltipLines(record, units));
  const precise = record.precise;
  if (precise) {
    lines.push(
      '',
      'Precise mode (tracemalloc):',
      `  allocated during the cell and still alive ${formatBytes(precise.python_delta, units)}, Python peak ${formatBytes(precise.python_peak, units)}`
    );
    for (const site of precise.top) {
      lines.push(
        `  ${siteText(site)}  ${bytes(site.size)} in ${site.count} blocks`
      );
    }
  }
  return lines.join('\n');
}
