import type { IMemorySnapshot } from '../wire/protocol';

/**
 * memlens' own errors in the kernel, folded: memlens never prints them into a
 * cell (they would look like the user's), so this is where a failure of
 * memlens shows instead of passing silently. Null when there were none.
 */
export function renderKernelErrors(
  snapshot: Pick<IMemorySnapshot, 'errors' | 'error_count'>
): HTMLElement | null {
  const count = snapshot.error_count ?? 0;
  const errors = snapshot.errors ?? [];
  if (count === 0 || errors.length === 0) {
    return null;
  }
  const fold = document.createElement('details');
  fold.className = 'jp-MemlensKernel-errors';
  const summary = document.createElement('summary');
  summary.textContent = errorSummary(count, errors.length);
  fold.append(summary);
  for (const text of errors) {
    const entry = document.createElement('pre');
    entry.className = 'jp-MemlensKernel-error';
    entry.textContent = text;
    fold.append(entry);
  }
  return fold;
}

/** "memlens hit 3 errors of its own (the latest 3 below); your code was not affected". */
export function errorSummary(count: number, shown: number): string {
  const what = count === 1 ? '1 error' : `${count} errors`;
  const latest = shown < count ? ` (the latest ${shown} below)` : '';
  return `memlens hit ${what} of its own${latest}; your code was not affected`;
}
