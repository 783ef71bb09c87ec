import { formatBytes } from '../common/format';
import type { Units } from '../common/settings';
import type { IKernelMemoryBody, IKernelMemoryParts } from '../wire/protocol';
import { element } from '../common/dom';

/** A kernel_memory part's name. */
export type PartName = keyof IKernelMemoryParts;

/** Each part's label in the legend, in the order the bar stacks them. */
export const PART_LABELS: ReadonlyArray<[PartName, string]> = [
  ['variables', 'Your variables'],
  ['output_cache', 'Output cache (Out)'],
  ['last_exception', 'Last error'],
  ['native_pools', 'Library pools'],
  ['allocators_free', 'Held free by allocators'],
  ['gpu_runtime', 'GPU runtime'],
  ['libraries_and_code', 'Libraries and code'],
  ['rest', 'The rest']
];

/** What each part is, for its tooltip. */
const PART_HINTS: Record<PartName, string> = {
  variables:
    'What your variables hold (together; what they share with Out counts here).',
  output_cache:
    'What only Out and _N keep alive: results of cells you no longer hold.',
  last_exception: "What only the last error's traceback keeps alive.",
  native_pools: 'Memory libraries keep in their own pools (pyarrow).',
  allocators_free:
    'Freed memory that pymalloc and malloc keep for reuse: it still counts in RSS.',
  gpu_runtime:
    "The GPU runtime's mapped memory (its host heap is not told apart).",
  libraries_and_code:
    'The interpreter, libraries, their code and mapped files.',
  rest: "Everything else: the interpreter's and libraries' own heaps, stacks, overheads."
};

/** One part's value as shown: "≥" for a lower bound, "≤" for an upper one. */
export function partText(
  body: IKernelMemoryBody,
  part: PartName,
  units: Units
): string {
  const value = formatBytes(body.parts[part], units);
  if (body.lower_bounds.includes(part)) {
    return `≥ ${value}`;
  }
  if (part === 'rest' && body.rest_is_upper_bound) {
    return `≤ ${value}`;
  }
  return value;
}

/**
 * The picture of what the RSS is made of: one stacked horizontal bar (each
 * part's share of RSS as its width) and a legend with each part's bytes. Parts
 * of 0 bytes are left out of both.
 */
export function renderBreakdown(
  body: IKernelMemoryBody,
  units: Units
): HTMLElement {
  const figure = element('figure', 'jp-MemlensBreakdown');
  figure.setAttribute('aria-label', 'What the kernel memory is made of');
  const caption = element(
    'figcaption',
    'jp-MemlensBreakdown-caption',
    `RSS ${formatBytes(body.rss, units)}, made of:`
  );
  const bar = element('div', 'jp-MemlensBreakdown-bar');
  bar.setAttribute('aria-hidden', 'true'); // the legend says the same in words
  const legend = element('ul', 'jp-MemlensBreakdown-legend');
  const total = Math.max(body.rss, 1);
  for (const [part, label] of PART_LABELS) {
    const bytes = body.parts[part];
    if (bytes <= 0) {
      continue;
    }
    const text = partText(body, part, units);
    const share = (100 * bytes) / total;
    const segment = element('span', 'jp-MemlensBreakdown-segment');
    segment.dataset.part = part;
    segment.style.width = `${share.toFixed(2)}%`;
    segment.title = `${label}: ${text}`;
    bar.append(segment);
    const item = element('li', 'jp-MemlensBreakdown-item');
    item.dataset.part = part;
    item.title = PART_HINTS[part];
    item.append(
      element('span', 'jp-MemlensBreakdown-swatch'),
      element('span', 'jp-MemlensBreakdown-label', label),
      element('span', 'jp-MemlensBreakdown-value', text)
    );
    legend.append(item);
  }
  figure.append(caption, bar, legend);
  const trim = body.trim_can_return;
  const note = element(
    'p',
    'jp-MemlensBreakdown-note',
    `A trim can give back at most ${formatBytes(trim, units)}; ` +
      `pymalloc's ${formatBytes(body.pymalloc_free, units)} free it cannot.`
  );
  figure.append(note);
  return figure;
}
