/**
 * Runs an asynchronous task so that calls arriving while it runs are merged
 * into one more run after it: a burst of refresh requests costs at most two
 * round trips, and the last answer is never older than the last request.
 */
export class Coalescer {
  /**
   * @param task - The work to run; it should not throw (errors are its own to report).
   */
  constructor(task: () => Promise<void>) {
    this._task = task;
  }

  /** Whether a run is in progress. */
  get isRunning(): boolean {
    return this._running !== null;
  }

  /**
   * Run the task, or, while it runs, ask for one more run after it. Resolves
   * when no run is left to do.
   */
  run(): Promise<void> {
    if (this._running) {
      this._again = true;
      return this._running;
    }
    this._running = this._loop().finally(() => {
      this._running = null;
    });
    return this._running;
  }

  private async _loop(): Promise<void> {
    do {
      this._again = false;
      await this._task();
    } while (this._again);
  }

  private _task: () => Promise<void>;
  private _running: Promise<void> | null = null;
  private _again = false;
}
