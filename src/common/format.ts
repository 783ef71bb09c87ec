/** Pure formatting of the numbers memlens shows. */

import type { Units } from './settings';

const UNIT_NAMES: Record<Units, string[]> = {
  binary: ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'],
  decimal: ['B', 'kB', 'MB', 'GB', 'TB', 'PB']
};

/** Bytes in binary (default) or decimal units, e.g. `1.5 GiB`; an em dash when unknown. */
export function formatBytes(
  bytes: number | null | undefined,
  units: Units = 'binary'
): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) {
    return '—';
  }
  const names = UNIT_NAMES[units];
  const base = units === 'binary' ? 1024 : 1000;
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= base && unit < names.length - 1) {
    value /= base;
    unit++;
  }
  const digits = unit === 0 ? 0 : 1;
  return `${sign}${value.toFixed(digits)} ${names[unit]}`;
}

/** A change in bytes with its sign, e.g. `+120.4 MiB`, `-3.0 KiB`, `±0 B`. */
export function formatDelta(
  bytes: number | null | undefined,
  units: Units = 'binary'
): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) {
    return '—';
  }
  if (bytes === 0) {
    return '±0 B';
  }
  return bytes > 0
    ? `+${formatBytes(bytes, units)}`
    : formatBytes(bytes, units);
}

/** A duration, e.g. `850 µs`, `12 ms`, `1.24 s`, `3 min 05 s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) {
    return '—';
  }
  if (seconds < 0.001) {
    return `${Math.round(seconds * 1e6)} µs`;
  }
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  if (seconds < 60) {
    return `${seconds.toFixed(2)} s`;
  }
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds - minutes * 60);
  return `${minutes} min ${String(rest).padStart(2, '0')} s`;
}

/** A unix time (seconds) as a local clock time, e.g. `14:03:07`. */
export function formatClock(unixSeconds: number): string {
  const date = new Date(unixSeconds * 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
