/**
 * The Variables status line: how many variables and what the walk cost, the
 * "Complete sizes" button when some sizes are lower bounds, and the memory cap
 * when the walk hit it. Renders only.
 */

import { formatBytes, formatDuration } from '../common/format';
import type { Units } from '../common/settings';
import type { VariablesFetcher } from './fetcher';
import type { ICompleting } from './model';

/** Fill `status` from the fetcher's model (null fetcher: no notebook). */
export function renderStatus(
  status: HTMLElement,
  fetcher: VariablesFetcher | null,
  units: Units
): void {
  const model = fetcher?.model ?? null;
  const body = model?.body ?? null;
  const parts: Array<string | HTMLElement> = [];
  if (!fetcher) {
    parts.push('Open a notebook to see its variables.');
  } else if (model?.error) {
    parts.push(`Could not size the variables: ${model.error}`);
  } else if (!body) {
    parts.push(
      model?.loading ? 'Sizing variables…' : 'Waiting for the kernel…'
    );
  } else {
    const stats = body.stats;
    // The walker's own memory is a diagnostic: in the tooltip, so the
    // line stays short at 250 px.
    status.title = `The walk's own memory peaked at ${formatBytes(stats.walker_peak_bytes, units)}`;
    parts.push(
      `${body.rows.length} variables · ${stats.objects.toLocaleString()} objects in ${stats.elapsed_ms.toFixed(0)} ms`
    );
    if (model?.completing) {
      parts.push(...completingParts(model.completing, fetcher));
    } else if (body.partial) {
      const complete = document.createElement('button');
      complete.className = 'jp-MemlensVariables-complete jp-mod-styled';
      complete.textContent = 'Complete sizes';
      complete.title = 'Sizes marked ≥ hit the time budget; finish them now';
      const names = body.rows.filter(r => r.partial).map(r => r.name);
      // The output cache is completed too (the kernel knows `Out`).
      if (body.output_cache?.partial) {
        names.push('Out');
      }
      complete.addEventListener('click', () => void fetcher.complete(names));
      parts.push(complete);
    }
    if (stats.capped) {
      parts.push(
        'The walk stopped at its memory cap (the setting "Variables: memory cap (MiB)"): sizes are lower bounds.'
      );
    }
  }
  status.replaceChildren(
    ...parts.map(part => {
      if (typeof part !== 'string') {
        return part;
      }
      const span = document.createElement('span');
      span.textContent = part;
      return span;
    })
  );
  status.dataset.loading = String(!!model?.loading);
}

/**
 * While "Complete sizes" runs: how far it got (objects, time) and a Cancel
 * button, instead of a greyed button.
 */
function completingParts(
  completing: ICompleting,
  fetcher: VariablesFetcher
): Array<string | HTMLElement> {
  const line = document.createElement('span');
  line.className = 'jp-MemlensVariables-progress';
  line.setAttribute('role', 'status');
  line.textContent = completingText(completing);
  const cancel = document.createElement('button');
  cancel.className = 'jp-MemlensVariables-cancel jp-mod-styled';
  cancel.textContent = 'Cancel';
  cancel.title =
    'Stop completing: what is finished keeps its exact size, the rest stays a lower bound';
  cancel.addEventListener('click', () => void fetcher.cancel());
  return [line, cancel];
}

/** `Completing sizes… 1,234,567 objects · 2.50 s`. */
export function completingText(completing: ICompleting): string {
  const time =
    completing.elapsedMs > 0
      ? ` · ${formatDuration(completing.elapsedMs / 1000)}`
      : '';
  const objects =
    completing.objects > 0
      ? ` ${completing.objects.toLocaleString('en-US')} objects`
      : '';
  return `Completing sizes…${objects}${time}`;
}
