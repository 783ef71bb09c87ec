import type { IDisposable } from '@lumino/disposable';

import type { CellHistoryModel } from '../cells/model';

/** The first wait before asking again, in ms; each next wait doubles, up to MAX_DELAY_MS. */
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 5000;

/**
 * How long to keep asking about one record, in ms: the kernel gives the
 * background completion 120 s (COMPLETE_BUDGET_S) before it leaves the pin a
 * lower bound.
 */
const GIVE_UP_MS = 150_000;

/**
 * Fetches cell records again while the kernel completes output-cache pins in
 * the background (the newest record's `output_cache_complete` false, or an
 * `out_pins` entry not complete), on a gentle timer (0.5 s, 1 s, 2 s, then
 * every 5 s), until they are complete or 150 s passed; what is awaited
 * changing (another cell ran) starts the waits afresh. The badge, the readout
 * and the Holding now view then drop their "≥".
 */
export class CompletionWatcher implements IDisposable {
  constructor(options: CompletionWatcher.IOptions) {
    this._history = options.history;
    this._pull = options.pull;
    this._history.changed.connect(this._check, this);
    this._check();
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._history.changed.disconnect(this._check, this);
    this._clear();
  }

  private _check(): void {
    if (this._isDisposed) {
      return;
    }
    const seq = this._history.awaitingCompletion;
    if (seq !== this._seq) {
      // Another record to wait for (or none): start the waits afresh.
      this._clear();
      this._seq = seq;
      this._since = Date.now();
      this._delay = FIRST_DELAY_MS;
    }
    if (seq === null || this._timer !== null || this._pulling) {
      return;
    }
    if (Date.now() - this._since > GIVE_UP_MS) {
      return;
    }
    this._timer = setTimeout(() => void this._ask(), this._delay);
    this._delay = Math.min(this._delay * 2, MAX_DELAY_MS);
  }

  private async _ask(): Promise<void> {
    this._timer = null;
    this._pulling = true;
    try {
      await this._pull();
    } finally {
      this._pulling = false;
    }
    this._check();
  }

  private _clear(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private _history: CellHistoryModel;
  private _pull: () => Promise<void>;
  private _seq: string | null = null;
  private _since = 0;
  private _delay = FIRST_DELAY_MS;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _pulling = false;
  private _isDisposed = false;
}

/** CompletionWatcher's options. */
export namespace CompletionWatcher {
  export interface IOptions {
    history: CellHistoryModel;
    /** Fetch new records (and the ones awaiting completion) from the kernel. */
    pull: () => Promise<void>;
  }
}
