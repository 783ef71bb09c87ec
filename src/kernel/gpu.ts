import { formatBytes } from '../common/format';
import type { Units } from '../common/settings';
import { element } from '../common/dom';
import type { IGpuDevice } from '../wire/protocol';

/**
 * One line per figure of a GPU device the kernel uses: device memory, never
 * part of the RSS above it. Pure: the rows of the device's little table.
 */
export function gpuRows(
  device: IGpuDevice,
  units: Units
): Array<[string, string, string]> {
  const bytes = (n: number | null): string => formatBytes(n, units);
  const rows: Array<[string, string, string]> = [];
  const used =
    device.used === null
      ? 'unknown'
      : device.total === null
        ? bytes(device.used)
        : `${bytes(device.used)} of ${bytes(device.total)}`;
  rows.push(['used', 'Used on the device (all processes)', used]);
  if (device.process !== null) {
    rows.push(['process', 'This kernel (NVML)', bytes(device.process)]);
  }
  const libraries = device.libraries.join(', ');
  rows.push([
    'allocated',
    `Tensors and arrays (${libraries})`,
    bytes(device.allocated)
  ]);
  if (device.cached_free !== null && device.cached_free > 0) {
    rows.push([
      'cached',
      'Cached free by the allocators',
      bytes(device.cached_free)
    ]);
  }
  return rows;
}

/**
 * The GPU devices the kernel uses, each with a heading (`cuda:0 · NVIDIA
 * H200`) and its rows; null when none is in use (nothing GPU is shown then).
 */
export function renderGpu(
  devices: ReadonlyArray<IGpuDevice> | undefined,
  units: Units
): HTMLElement | null {
  if (!devices || devices.length === 0) {
    return null;
  }
  const list = element('div', 'jp-MemlensGpu');
  list.setAttribute('aria-label', 'GPU devices');
  for (const device of devices) {
    const block = element('div', 'jp-MemlensGpu-device');
    block.dataset.device = device.device;
    block.append(
      element(
        'div',
        'jp-MemlensGpu-name',
        device.name ? `${device.device} · ${device.name}` : device.device
      )
    );
    for (const [key, label, value] of gpuRows(device, units)) {
      const row = element('div', 'jp-MemlensGpu-row');
      row.dataset.key = key;
      row.append(
        element('span', 'jp-MemlensGpu-label', label),
        element('span', 'jp-MemlensGpu-value', value)
      );
      block.append(row);
    }
    list.append(block);
  }
  return list;
}
