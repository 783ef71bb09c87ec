import { formatBytes } from '../common/format';
import type { Units } from '../common/settings';
import type { FreeAction, IFreeMemoryBody } from '../wire/protocol';

/** The actions in the order of their buttons, with their labels and what they do. */
export const FREE_BUTTONS: ReadonlyArray<[FreeAction, string, string]> = [
  [
    'collect',
    'Collect garbage',
    'gc.collect(): free objects only reference cycles keep alive'
  ],
  [
    'trim',
    'Return free memory to the OS',
    "malloc_trim(0): give the allocator's free pages back to the system"
  ],
  [
    'clear_output_cache',
    'Clear output cache',
    'Empty Out and _N, like %reset -f out (the execution count stays)'
  ],
  [
    'empty_cache',
    'Empty GPU caches',
    "torch.cuda.empty_cache() and CuPy's free_all_blocks(): cached device memory back to the GPU"
  ]
];

/** Actions shown only while the kernel uses a GPU. */
const GPU_ACTIONS: ReadonlySet<FreeAction> = new Set(['empty_cache']);

/** What an action gave back, in words ("gave back 212 MiB"). */
export function freedText(body: IFreeMemoryBody, units: Units): string {
  if (!body.available) {
    return 'not available in this kernel';
  }
  if (body.action === 'empty_cache') {
    // Measured on the device: what the caching allocators held and gave back.
    const back = body.device_gave_back ?? 0;
    return back > 0
      ? `gave back ${formatBytes(back, units)} to the GPU`
      : 'gave nothing back to the GPU (nothing was cached)';
  }
  const what =
    body.gave_back > 0
      ? `gave back ${formatBytes(body.gave_back, units)}`
      : 'gave back nothing (RSS did not drop)';
  if (body.action === 'collect' && body.collected !== undefined) {
    return `${what}; ${body.collected} objects collected`;
  }
  if (body.action === 'clear_output_cache' && body.cleared !== undefined) {
    return `${what}; ${body.cleared} results cleared`;
  }
  return what;
}

/**
 * The buttons that free memory, each with what it last gave back (the GPU's
 * only while `gpu`: the kernel uses a device). `onFree` is called with the
 * action; all are disabled while one runs.
 */
export function renderFreeing(
  freed: Partial<Record<FreeAction, IFreeMemoryBody>>,
  freeing: FreeAction | null,
  onFree: (action: FreeAction) => void,
  units: Units,
  gpu = false
): HTMLElement {
  const list = document.createElement('div');
  list.className = 'jp-MemlensFree';
  list.setAttribute('role', 'group');
  list.setAttribute('aria-label', 'Free memory');
  for (const [action, label, hint] of FREE_BUTTONS) {
    if (!gpu && GPU_ACTIONS.has(action)) {
      continue;
    }
    const row = document.createElement('div');
    row.className = 'jp-MemlensFree-row';
    row.dataset.action = action;
    const button = document.createElement('button');
    button.className = 'jp-MemlensFree-button jp-mod-styled';
    button.textContent = label;
    button.title = hint;
    button.disabled = freeing !== null;
    button.addEventListener('click', () => onFree(action));
    const result = document.createElement('span');
    result.className = 'jp-MemlensFree-result';
    result.setAttribute('aria-live', 'polite');
    const body = freed[action];
    result.textContent =
      freeing === action ? 'running…' : body ? freedText(body, units) : '';
    row.append(button, result);
    list.append(row);
  }
  return list;
}
