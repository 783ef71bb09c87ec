import type { IDisposable } from '@lumino/disposable';

import { Coalescer } from '../common/coalesce';
import { MIB, PAGE_SIZE } from '../common/constants';
import { VariablesModel, pathKey } from './model';
import { MAX_EXPAND_LIMIT, type PathStep } from '../wire/protocol';
import type { MemlensSession } from '../wire/session';

/** Budget for finishing sizes the user asked to complete, in ms. */
const COMPLETE_BUDGET_MS = 10000;

/** How often a pending completion asks how far it got, in ms (~4 a second). */
export const PROGRESS_EVERY_MS = 250;

/**
 * Asks a kernel for variable sizes and expansions, and writes the answers into
 * its VariablesModel. Overlapping refreshes are merged into one more. Sizes
 * all variables again whenever it becomes active (someone shows them).
 */
export class VariablesFetcher implements IDisposable {
  constructor(options: VariablesFetcher.IOptions) {
    this._session = options.session;
    this.budgetMs = options.budgetMs;
    this.memoryCapMiB = options.memoryCapMiB ?? 0;
  }

  /** What the Variables section shows. */
  readonly model = new VariablesModel();

  /** Time budget of a refresh, in ms. */
  budgetMs: number;

  /**
   * Cap on the walker's own memory, in MiB, sent with each request; 0 (or
   * less) sends none, so the kernel uses its default.
   */
  memoryCapMiB: number;

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Whether the sizes are shown (the Variables section is visible and follows
   * this notebook). Becoming active sizes every variable again.
   */
  get isActive(): boolean {
    return this._isActive;
  }

  set isActive(active: boolean) {
    if (active === this._isActive) {
      return;
    }
    this._isActive = active;
    if (active) {
      void this.refresh();
    }
  }

  /** Size every variable again; expanded rows are reloaded too. */
  refresh(): Promise<void> {
    return this._refresher.run();
  }

  /**
   * Finish the sizes of these variables, with a generous budget, in the
   * background: while it runs the model says how far it got (`completing`).
   */
  async complete(names: string[]): Promise<void> {
    this.model.update({ completing: { objects: 0, elapsedMs: 0 } });
    const timer = setInterval(() => void this._progress(), PROGRESS_EVERY_MS);
    try {
      await this._fetch(names);
    } finally {
      clearInterval(timer);
      if (!this._isDisposed) {
        this.model.update({ completing: null });
      }
    }
  }

  /**
   * Stop the running completion: the kernel answers it at once with what it
   * finished (those sizes are kept; the rest stay lower bounds).
   */
  async cancel(): Promise<void> {
    const session = this._session();
    if (!session || this._isDisposed) {
      return;
    }
    try {
      await session.request('cancel', {});
    } catch {
      // An older kernel side has no cancel: the completion runs to its end.
    }
  }

  /** Load the first page of an object's parts. */
  async expand(path: PathStep[]): Promise<void> {
    await this._page(path, 0);
  }

  /** Load the next page of an expanded object. */
  async more(path: PathStep[]): Promise<void> {
    const current = this.model.expansions.get(pathKey(path));
    const loaded = current?.page?.children.length ?? 0;
    await this._page(path, loaded);
  }

  collapse(path: PathStep[]): void {
    this.model.removeExpansion(path);
  }

  /** The kernel process changed: nothing shown so far applies. */
  reset(): void {
    this.model.clear();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.model.dispose();
  }

  private async _fetch(complete: string[]): Promise<void> {
    const session = this._session();
    if (!session || this._isDisposed) {
      return;
    }
    this.model.update({ loading: true });
    try {
      const body = await session.request('variables', {
        budget_ms: complete.length ? COMPLETE_BUDGET_MS : this.budgetMs,
        complete,
        ...Private.cap(this.memoryCapMiB)
      });
      if (this._isDisposed) {
        return;
      }
      this.model.update({ body, loading: false, error: '' });
      // Expanded rows show the same objects: reload their first pages.
      for (const expansion of [...this.model.expansions.values()]) {
        if (expansion.page) {
          void this._page(expansion.path, 0, expansion.page.children.length);
        }
      }
    } catch (error) {
      if (!this._isDisposed) {
        this.model.update({ loading: false, error: Private.message(error) });
      }
    }
  }

  /** Ask how far the running completion got (a `progress` request). */
  private async _progress(): Promise<void> {
    const session = this._session();
    if (!session || this._isDisposed || !this.model.completing) {
      return;
    }
    try {
      const body = await session.request('progress', {});
      if (body.running && this.model.completing && !this._isDisposed) {
        this.model.update({
          completing: { objects: body.objects, elapsedMs: body.elapsed_ms }
        });
      }
    } catch {
      // An older kernel side has no progress: the line keeps "Completing…".
    }
  }

  private async _page(
    path: PathStep[],
    offset: number,
    limit = PAGE_SIZE
  ): Promise<void> {
    const session = this._session();
    if (!session || this._isDisposed) {
      return;
    }
    const key = pathKey(path);
    const previous = this.model.expansions.get(key);
    this.model.setExpansion({
      path,
      page: previous?.page ?? null,
      loading: true,
      error: ''
    });
    try {
      const page = await session.request('expand', {
        path,
        offset,
        limit: Math.max(1, Math.min(limit, MAX_EXPAND_LIMIT)),
        budget_ms: this.budgetMs,
        ...Private.cap(this.memoryCapMiB)
      });
      if (this._isDisposed || !this.model.expansions.has(key)) {
        return; // Collapsed while loading.
      }
      const kept = offset > 0 ? (previous?.page?.children ?? []) : [];
      this.model.setExpansion({
        path,
        page: { ...page, offset: 0, children: [...kept, ...page.children] },
        loading: false,
        error: ''
      });
    } catch (error) {
      if (!this._isDisposed && this.model.expansions.has(key)) {
        this.model.setExpansion({
          path,
          page: previous?.page ?? null,
          loading: false,
          error: Private.message(error)
        });
      }
    }
  }

  private _session: () => MemlensSession | null;
  private _refresher = new Coalescer(() => this._fetch([]));
  private _isActive = false;
  private _isDisposed = false;
}

/** VariablesFetcher's options. */
export namespace VariablesFetcher {
  export interface IOptions {
    /** The live session, or null while not connected. */
    session: () => MemlensSession | null;
    budgetMs: number;
    /** Cap on the walker's own memory, in MiB; 0 (the default): the kernel's. */
    memoryCapMiB?: number;
  }
}

namespace Private {
  /** The `cap_bytes` argument for a cap in MiB: none unless it is positive. */
  export function cap(mib: number): { cap_bytes?: number } {
    const bytes = Number.isFinite(mib) ? Math.floor(mib * MIB) : 0;
    return bytes > 0 ? { cap_bytes: bytes } : {};
  }

  export function message(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
  }
}
