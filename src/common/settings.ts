import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import type { JSONValue } from '@lumino/coreutils';
import { Signal, type ISignal } from '@lumino/signaling';

import { REQUEST_TIMEOUT_MS, VARIABLES_BUDGET_MS } from './constants';

/** How byte counts are written: binary (MiB, 1024²) or decimal (MB, 1000²). */
export type Units = 'binary' | 'decimal';

/** The user's memlens settings (schema/plugin.json). */
export interface IMemlensSettings {
  showBadges: boolean;
  /** A badge turns amber when the cell's RSS change or peak passes this (MiB). */
  warnThresholdMiB: number;
  /** ...and red past this (MiB). */
  alertThresholdMiB: number;
  /** A cell whose RSS change and peak are both under this (MiB) gets a dot, not a badge. */
  hideBadgesUnderMiB: number;
  units: Units;
  /** Keep each cell's last readout in the notebook file (cell metadata `memlens`). */
  persistInNotebook: boolean;
  /** Run tracemalloc for each cell (slows code down while on). */
  precise: boolean;
  /** Read memory again after each cell, while the sidebar is visible. */
  refreshAfterCell: boolean;
  /** How long to wait for each reply from the kernel (ms). */
  requestTimeoutMs: number;
  /** Time budget of one sizing of all variables (ms). */
  variablesBudgetMs: number;
  /**
   * The most memory the sizing walk may use for its own bookkeeping (MiB);
   * 0: the kernel's default (10 % of the memory still available, at most 1 GiB).
   */
  variablesMemoryCapMiB: number;
  /**
   * Exact per-cell peak: reset VmHWM at each cell (a side effect user code can
   * see in ru_maxrss and VmHWM); off, the peak is sampled (a lower bound).
   */
  exactPeak: boolean;
  /** Interrupt a cell at this share of the memory limit (0.05–0.99); 0: off. */
  guardShare: number;
  /**
   * Exact GPU peak per cell: reset torch's CUDA peak counter at each cell (a
   * side effect other readers of max_memory_allocated see); off, a GPU peak
   * is exact only when the counter rose during the cell.
   */
  gpuPeakReset: boolean;
  /**
   * The optional Variables columns the user chose (the Columns chooser saves
   * it); null: none chosen, so every column shows when the section is wide.
   */
  variablesColumns: string[] | null;
}

/** The schema's defaults, used until the registry has loaded. */
export const DEFAULT_SETTINGS: IMemlensSettings = {
  showBadges: true,
  warnThresholdMiB: 100,
  alertThresholdMiB: 1024,
  hideBadgesUnderMiB: 1,
  units: 'binary',
  persistInNotebook: false,
  precise: false,
  refreshAfterCell: true,
  requestTimeoutMs: REQUEST_TIMEOUT_MS,
  variablesBudgetMs: VARIABLES_BUDGET_MS,
  variablesMemoryCapMiB: 0,
  exactPeak: true,
  guardShare: 0,
  gpuPeakReset: true,
  variablesColumns: null
};

/** Read the composite settings, keeping defaults for anything missing or mistyped. */
export function readSettings(
  settings: ISettingRegistry.ISettings
): IMemlensSettings {
  const read = <K extends keyof IMemlensSettings>(
    key: K
  ): IMemlensSettings[K] => {
    const value = settings.get(key).composite;
    return typeof value === typeof DEFAULT_SETTINGS[key]
      ? (value as IMemlensSettings[K])
      : DEFAULT_SETTINGS[key];
  };
  const units = read('units');
  return {
    showBadges: read('showBadges'),
    warnThresholdMiB: read('warnThresholdMiB'),
    alertThresholdMiB: read('alertThresholdMiB'),
    hideBadgesUnderMiB: read('hideBadgesUnderMiB'),
    units: units === 'decimal' ? 'decimal' : 'binary',
    persistInNotebook: read('persistInNotebook'),
    precise: read('precise'),
    refreshAfterCell: read('refreshAfterCell'),
    requestTimeoutMs: read('requestTimeoutMs'),
    variablesBudgetMs: read('variablesBudgetMs'),
    variablesMemoryCapMiB: read('variablesMemoryCapMiB'),
    exactPeak: read('exactPeak'),
    guardShare: read('guardShare'),
    gpuPeakReset: read('gpuPeakReset'),
    variablesColumns: readColumns(settings.get('variablesColumns').composite)
  };
}

/** The saved column choice: a list of strings, else null (none chosen). */
function readColumns(value: unknown): string[] | null {
  return Array.isArray(value)
    ? value.filter((key): key is string => typeof key === 'string')
    : null;
}

/** The current settings and a signal when they change; only the plugin sets them. */
export class SettingsModel {
  /** Emitted after every change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get value(): IMemlensSettings {
    return this._value;
  }

  set value(value: IMemlensSettings) {
    this._value = value;
    this._changed.emit();
  }

  /**
   * Writes one setting to the settings registry (the plugin sets it once the
   * registry has loaded); null: nothing is saved beyond this session.
   */
  saver: ((key: string, value: JSONValue) => Promise<void>) | null = null;

  /** Change one setting now and save it (a view's own choice, such as columns). */
  save<K extends keyof IMemlensSettings>(
    key: K,
    value: IMemlensSettings[K]
  ): void {
    this.value = { ...this._value, [key]: value };
    // A registry that refuses keeps the choice for this session only.
    void this.saver?.(key, value as JSONValue)?.catch(() => undefined);
  }

  private _value: IMemlensSettings = DEFAULT_SETTINGS;
  private _changed = new Signal<this, void>(this);
}
