/**
 * Pure: the per-cell GPU readings as CSV columns, only when some record has
 * them (a history without a GPU exports the same columns as before). One group
 * of columns per device, e.g. `gpu_cuda:0_peak`; bytes, blank where unknown.
 */

import type { ICellRecord } from '../wire/protocol';

/** What each device's columns hold, in order (the record's own field names). */
export const GPU_FIELDS = [
  'allocated_before',
  'allocated_after',
  'peak',
  'peak_exact',
  'reserved_before',
  'reserved_after',
  'process_after',
  'context_created'
] as const;

/** The devices any record read, sorted (`cuda:0`, `cuda:1`); [] without a GPU. */
export function gpuDevices(records: ReadonlyArray<ICellRecord>): string[] {
  const seen = new Set<string>();
  for (const record of records) {
    for (const device of record.gpu ?? []) {
      seen.add(device.device);
    }
  }
  return [...seen].sort();
}

/** The header names of the devices' columns. */
export function gpuColumns(devices: ReadonlyArray<string>): string[] {
  return devices.flatMap(device =>
    GPU_FIELDS.map(field => `gpu_${device}_${field}`)
  );
}

/**
 * A record's values for those columns; null (blank) for a device it did not
 * read. `peak_exact` false: `peak` is a lower bound.
 */
export function gpuValues(
  record: ICellRecord | null,
  devices: ReadonlyArray<string>
): unknown[] {
  return devices.flatMap(name => {
    const device = record?.gpu?.find(entry => entry.device === name);
    return GPU_FIELDS.map(field => (device ? device[field] : null));
  });
}
