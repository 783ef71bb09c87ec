/** Pure: whether a cell's readout is too small to deserve a badge. */

import { MIB } from '../common/constants';
import type { ICellRecord } from '../wire/protocol';
import { peakAbove, rssDelta } from './readout';

/**
 * Whether the RSS change (either sign) and the peak above the start are both
 * under `hideUnderMiB`; never for a failed cell (its dashed outline says so),
 * nor while either number is unknown, nor when `hideUnderMiB` is 0.
 */
export function isTrivial(record: ICellRecord, hideUnderMiB: number): boolean {
  if (!(hideUnderMiB > 0) || !record.success) {
    return false;
  }
  const delta = rssDelta(record);
  if (delta === null) {
    return false;
  }
  const limit = hideUnderMiB * MIB;
  const peak = record.peak_method === 'none' ? 0 : (peakAbove(record) ?? 0);
  return Math.abs(delta) < limit && peak < limit;
}
