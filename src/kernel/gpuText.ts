/**
 * Pure: how GPU figures read outside the Kernel pane, for the badge, its
 * tooltip and the Variables rows (device memory, never part of the RSS).
 */

import { formatBytes, formatDelta } from '../common/format';
import type { Units } from '../common/settings';
import type { ICellGpu, ICellRecord } from '../wire/protocol';

/** A cell's allocated change on a device (its whole allocation when it took the device). */
export function allocatedDelta(device: ICellGpu): number | null {
  if (device.allocated_after === null) {
    return null;
  }
  return device.allocated_after - (device.allocated_before ?? 0);
}

/**
 * The badge's GPU part, only when a device was in use: `GPU +1.0 GiB, peak
 * 5.0 GiB` (summed over devices; `≥` when a peak is a lower bound); null
 * without a device.
 */
export function gpuBadgePart(record: ICellRecord, units: Units): string | null {
  const devices = record.gpu ?? [];
  if (devices.length === 0) {
    return null;
  }
  let change = 0;
  let peak = 0;
  let exact = true;
  for (const device of devices) {
    change += allocatedDelta(device) ?? 0;
    peak += device.peak ?? 0;
    exact = exact && device.peak_exact && device.peak !== null;
  }
  return `GPU ${formatDelta(change, units)}, peak ${exact ? '' : '≥ '}${formatBytes(peak, units)}`;
}

/** The tooltip's lines for each device in use (none without one). */
export function gpuTooltipLines(record: ICellRecord, units: Units): string[] {
  const bytes = (n: number | null): string => formatBytes(n, units);
  const lines: string[] = [];
  for (const device of record.gpu ?? []) {
    lines.push(
      '',
      `GPU ${device.device} (device memory, not in the RSS above):`,
      `  tensors and arrays ${bytes(device.allocated_before)} → ${bytes(device.allocated_after)} (${formatDelta(allocatedDelta(device), units)})`,
      `  peak ${device.peak_exact ? '' : '≥ '}${bytes(device.peak)}${device.peak_exact ? ' (exact)' : ' (a lower bound)'}`,
      `  taken by the caching allocators ${bytes(device.reserved_before)} → ${bytes(device.reserved_after)}`
    );
    if (device.process_after !== null) {
      lines.push(
        `  this kernel on the device (NVML) ${bytes(device.process_before)} → ${bytes(device.process_after)}`
      );
    }
    if (device.context_created) {
      lines.push('  this cell created the CUDA context');
    }
  }
  return lines;
}

/**
 * A variable's GPU bytes (`GPU 4.0 MiB`, `≥` when its walk was cut short);
 * null when it reaches none.
 */
export function deviceBytesText(
  row: { device_bytes?: number; partial: boolean },
  units: Units
): string | null {
  const size = row.device_bytes ?? 0;
  if (size <= 0) {
    return null;
  }
  return `GPU ${row.partial ? '≥ ' : ''}${formatBytes(size, units)}`;
}
