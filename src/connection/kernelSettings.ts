import { DEFAULT_SETTINGS } from '../common/settings';
import type { IConfigureArgs } from '../wire/protocol';
import type { MemlensSession } from '../wire/session';

/**
 * What one notebook's kernel is configured with (precise mode, the peak
 * reset, the memory guard, live readings): kept here, sent with `configure`
 * when changed and again to each new session.
 */
export class KernelSettings {
  constructor(options: KernelSettings.IOptions) {
    this._session = options.session;
    this._report = options.report;
    this._precise = options.precise ?? DEFAULT_SETTINGS.precise;
  }

  /** Turn precise (tracemalloc) mode on or off in the kernel. */
  async setPrecise(precise: boolean): Promise<void> {
    this._precise = precise;
    await this._send({ precise });
  }

  /** The peak reset and the memory guard, sent to the kernel now and at each start. */
  async setMemory(exactPeak: boolean, guardShare: number): Promise<void> {
    if (exactPeak === this._exactPeak && guardShare === this._guardShare) {
      return;
    }
    this._exactPeak = exactPeak;
    this._guardShare = guardShare;
    await this._send(this._memoryArgs());
  }

  /**
   * Reset torch's CUDA peak counter at each cell (issue #10; the kernel's
   * default): sent now and at each start only when off.
   */
  async setGpuPeakReset(on: boolean): Promise<void> {
    if (on === this._gpuPeakReset) {
      return;
    }
    this._gpuPeakReset = on;
    await this._send({ precise: this._precise, gpu_peak_reset: on });
  }

  /** Whether the kernel should push live readings while a cell runs. */
  async setLiveWanted(wanted: boolean): Promise<void> {
    if (wanted === this._liveWanted) {
      return;
    }
    this._liveWanted = wanted;
    await this._send({ precise: this._precise, live: wanted });
  }

  /** Configure a new session as asked so far (only what differs from the kernel's defaults). */
  async applyTo(session: MemlensSession): Promise<void> {
    if (this._precise) {
      await session.request('configure', { precise: true });
    }
    if (!this._exactPeak || this._guardShare > 0) {
      await session.request('configure', this._memoryArgs());
    }
    if (!this._gpuPeakReset) {
      await session.request('configure', {
        precise: this._precise,
        gpu_peak_reset: false
      });
    }
    if (this._liveWanted) {
      await session.request('configure', {
        precise: this._precise,
        live: true
      });
    }
  }

  private async _send(args: IConfigureArgs): Promise<void> {
    const session = this._session();
    if (!session) {
      return;
    }
    try {
      await session.request('configure', args);
    } catch (error) {
      this._report(error);
    }
  }

  private _memoryArgs(): IConfigureArgs {
    const share = this._guardShare;
    const on = Number.isFinite(share) && share >= 0.05 && share <= 0.99;
    return {
      precise: this._precise,
      peak_reset: this._exactPeak,
      guard_share: on ? share : null
    };
  }

  private _session: () => MemlensSession | null;
  private _report: (error: unknown) => void;
  private _precise: boolean;
  private _exactPeak = DEFAULT_SETTINGS.exactPeak;
  private _guardShare = DEFAULT_SETTINGS.guardShare;
  private _gpuPeakReset = DEFAULT_SETTINGS.gpuPeakReset;
  private _liveWanted = false;
}

/** KernelSettings' types. */
export namespace KernelSettings {
  export interface IOptions {
    /** The connection's live session, if connected. */
    session: () => MemlensSession | null;
    /** Show an unexpected failure of a `configure`. */
    report: (error: unknown) => void;
    /** Start the kernel in precise (tracemalloc) mode. */
    precise?: boolean;
  }
}
