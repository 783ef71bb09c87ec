import { Signal, type ISignal } from '@lumino/signaling';

import type { IExpandBody, IVariablesBody, PathStep } from '../wire/protocol';

/** The loaded parts of one expanded object. */
export interface IExpansion {
  path: PathStep[];
  /** Pages loaded so far, concatenated. */
  page: IExpandBody | null;
  loading: boolean;
  error: string;
}

/** How far a running completion got, as the kernel last said. */
export interface ICompleting {
  objects: number;
  elapsedMs: number;
}

/** A stable key for a path (steps are small JSON values). */
export function pathKey(path: ReadonlyArray<PathStep>): string {
  return JSON.stringify(path);
}

/**
 * What the Variables section shows for one notebook's kernel: the last sizing
 * reply and the expanded rows. State and a signal; only the fetcher writes it.
 */
export class VariablesModel {
  /** Emitted after every change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The last reply; null before the first one. */
  get body(): IVariablesBody | null {
    return this._body;
  }

  get loading(): boolean {
    return this._loading;
  }

  /** Why the last request failed; empty when it did not. */
  get error(): string {
    return this._error;
  }

  /** A "Complete sizes" request in flight and how far it got; null when none. */
  get completing(): ICompleting | null {
    return this._completing;
  }

  /** Expanded objects by path key. */
  get expansions(): ReadonlyMap<string, IExpansion> {
    return this._expansions;
  }

  update(values: {
    body?: IVariablesBody | null;
    loading?: boolean;
    error?: string;
    completing?: ICompleting | null;
  }): void {
    if (values.body !== undefined) {
      this._body = values.body;
    }
    if (values.loading !== undefined) {
      this._loading = values.loading;
    }
    if (values.error !== undefined) {
      this._error = values.error;
    }
    if (values.completing !== undefined) {
      this._completing = values.completing;
    }
    this._changed.emit();
  }

  setExpansion(expansion: IExpansion): void {
    this._expansions.set(pathKey(expansion.path), expansion);
    this._changed.emit();
  }

  removeExpansion(path: ReadonlyArray<PathStep>): void {
    const key = pathKey(path);
    // Collapsing a row collapses everything under it.
    const prefix = key.slice(0, -1);
    for (const other of [...this._expansions.keys()]) {
      if (other === key || other.startsWith(prefix + ',')) {
        this._expansions.delete(other);
      }
    }
    this._changed.emit();
  }

  /** Forget everything (a new kernel process). */
  clear(): void {
    this._body = null;
    this._error = '';
    this._expansions.clear();
    this._changed.emit();
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _body: IVariablesBody | null = null;
  private _loading = false;
  private _error = '';
  private _completing: ICompleting | null = null;
  private _expansions = new Map<string, IExpansion>();
  private _changed = new Signal<this, void>(this);
}
