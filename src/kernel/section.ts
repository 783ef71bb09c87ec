import { ofLimit } from '../cells/exit';
import { formatBytes, formatClock } from '../common/format';
import type { ConnectionState, KernelModel } from './model';
import type { IMemorySnapshot, IProbe } from '../wire/protocol';
import type { Units } from '../common/settings';
import { ModelSection } from '../sidebar/section';
import { renderBreakdown } from './breakdown';
import { renderFreeing } from './freeing';
import { renderGpu } from './gpu';
import { renderKernelErrors } from './errors';
import { element } from '../common/dom';

const STATE_LABELS: Record<ConnectionState, string> = {
  'no-kernel': 'No kernel',
  connecting: 'Connecting…',
  connected: 'Connected',
  dead: 'Kernel dead',
  unsupported: 'Not a Python kernel — memlens needs an IPython kernel',
  error: 'memlens could not connect'
};

/**
 * The Kernel section: connection state, the kernel's memory now (RSS, peak,
 * headroom), a picture of what the RSS is made of, the actions that free
 * memory with what each gave back, and, folded away, who the kernel is and
 * which probes it supports. Renders its model; never talks to the kernel (an
 * action is asked of the model, whose connection runs it).
 */
export class KernelSection extends ModelSection<KernelModel> {
  constructor(options: KernelSection.IOptions) {
    super(options);
    this.addClass('jp-MemlensKernel');
    this._onRetry = options.onRetry;
    this.node.setAttribute('aria-label', 'Kernel memory');
  }

  protected render(model: KernelModel | null): void {
    this.node.replaceChildren(
      ...Private.render(
        model,
        this._onRetry,
        this.settings.value.units,
        this._fold
      )
    );
  }

  private _onRetry: () => void;
  /** Whether the diagnostics are unfolded: kept across renders (live readings re-render). */
  private _fold = { open: false };
}

/** KernelSection's options. */
export namespace KernelSection {
  export interface IOptions extends ModelSection.IOptions {
    /** Called when the user asks to connect again after an error. */
    onRetry: () => void;
  }
}

namespace Private {
  export function render(
    model: KernelModel | null,
    onRetry: () => void,
    units: Units,
    folded: { open: boolean }
  ): HTMLElement[] {
    const bytes = (n: number | null): string => formatBytes(n, units);
    if (!model) {
      return [
        status(
          'no-notebook',
          'No notebook',
          'Open a notebook to see its kernel.'
        )
      ];
    }
    const nodes = [
      status(model.state, STATE_LABELS[model.state], model.message)
    ];
    if (model.state === 'error') {
      const retry = element('button', 'jp-MemlensKernel-retry', 'Try again');
      retry.classList.add('jp-mod-styled');
      retry.addEventListener('click', onRetry);
      nodes.push(retry);
    }
    const info = model.info;
    if (model.state !== 'connected' || !info) {
      return nodes;
    }
    const snapshot = Private.withLive(model.snapshot ?? info.memory, model);
    const rows: Array<[string, string, string]> = [
      ['rss', 'RSS now', bytes(snapshot.rss)],
      ['peak', 'Peak RSS (process)', bytes(snapshot.rss_peak)]
    ];
    // What a user needs leads; the diagnostics go into a fold below.
    const details: Array<[string, string, string]> = [];
    const live = model.live;
    if (live) {
      rows.push([
        'live',
        'Running cell',
        `[${live.execution_count ?? ' '}] peak so far ≥ ${bytes(live.rss_peak)} (live)`
      ]);
    }
    const limit = snapshot.limit ?? null;
    if (limit !== null && snapshot.limit_source) {
      // How close the kernel is to what will stop it, and what else counts.
      const whose =
        snapshot.limit_source === 'machine'
          ? "the machine's memory"
          : `its ${snapshot.limit_source} limit`;
      rows.push([
        'headroom',
        'RSS against the limit',
        `${ofLimit(snapshot.rss, limit, units)} (${whose})`
      ]);
      details.push([
        'charged',
        'Charged to the limit',
        `${bytes(snapshot.charged ?? null)} (${
          snapshot.limit_source === 'machine'
            ? 'all processes on the machine'
            : 'the kernel, its children, other processes in its cgroup, page cache'
        })`
      ]);
    }
    if (snapshot.cgroup_limit !== null || snapshot.cgroup_current !== null) {
      details.push([
        'cgroup',
        'Container memory',
        `${bytes(snapshot.cgroup_current)} of ${
          snapshot.cgroup_limit === null
            ? 'no limit'
            : bytes(snapshot.cgroup_limit)
        }`
      ]);
    }
    details.push(
      ['pid', 'Process id', String(info.pid)],
      ['python', 'Python', `${info.python_version} (${info.implementation})`],
      ['platform', 'Platform', info.platform],
      ['ipykernel', 'ipykernel', info.ipykernel_version],
      [
        'memlens',
        'memlens',
        `${info.memlens_version} (${info.source === 'injected' ? 'injected' : 'installed in the kernel'})`
      ],
      ['updated', 'Updated', formatClock(snapshot.time)]
    );
    nodes.push(table(rows));
    if (model.breakdown) {
      nodes.push(renderBreakdown(model.breakdown, units));
    }
    // GPU devices the kernel uses (device memory, apart from the RSS above).
    const gpu = renderGpu(model.breakdown?.gpu, units);
    if (gpu) {
      nodes.push(gpu);
    }
    nodes.push(
      renderFreeing(
        model.freed,
        model.freeing,
        action => model.requestFree(action),
        units,
        gpu !== null
      )
    );
    const errors = renderKernelErrors(model.snapshot ?? info.memory);
    if (errors) {
      nodes.push(errors);
    }
    const fold = element('details', 'jp-MemlensKernel-details');
    fold.open = folded.open;
    fold.addEventListener('toggle', () => {
      folded.open = fold.open;
    });
    fold.append(
      element('summary', 'jp-MemlensKernel-summary', 'Kernel and probes'),
      table(details),
      probes(info.probes)
    );
    nodes.push(fold);
    return nodes;
  }

  /**
   * The snapshot brought up to the running cell's live reading (RSS, what is
   * charged to the limit, the time) when that reading is newer.
   */
  export function withLive(
    snapshot: IMemorySnapshot,
    model: KernelModel
  ): IMemorySnapshot {
    const live = model.live;
    if (!live || live.time <= snapshot.time) {
      return snapshot;
    }
    const peak =
      snapshot.rss_peak === null || live.rss_peak === null
        ? snapshot.rss_peak
        : Math.max(snapshot.rss_peak, live.rss_peak);
    return {
      ...snapshot,
      time: live.time,
      rss: live.rss,
      rss_peak: peak,
      limit: live.limit,
      limit_source: live.limit_source,
      charged: live.charged
    };
  }

  function status(state: string, label: string, message: string): HTMLElement {
    const node = element('div', 'jp-MemlensKernel-status');
    node.dataset.state = state;
    node.append(
      element('span', 'jp-MemlensKernel-dot'),
      element('span', 'jp-MemlensKernel-stateLabel', label)
    );
    if (message) {
      node.append(element('div', 'jp-MemlensKernel-message', message));
    }
    return node;
  }

  function table(rows: Array<[string, string, string]>): HTMLElement {
    const dl = element('dl', 'jp-MemlensKernel-facts');
    for (const [key, label, value] of rows) {
      const dt = element('dt', 'jp-MemlensKernel-label', label);
      const dd = element(
        'dd',
        `jp-MemlensKernel-value jp-MemlensKernel-${key}`,
        value
      );
      dd.dataset.key = key;
      dl.append(dt, dd);
    }
    return dl;
  }

  function probes(list: IProbe[]): HTMLElement {
    const section = element('div', 'jp-MemlensKernel-probes');
    section.append(element('h3', 'jp-MemlensKernel-heading', 'Probes'));
    const ul = element('ul', 'jp-MemlensKernel-probeList');
    for (const probe of list) {
      const li = element('li', 'jp-MemlensKernel-probe');
      li.dataset.available = String(probe.available);
      li.dataset.probe = probe.name;
      li.title = probe.detail
        ? `${probe.method} — ${probe.detail}`
        : probe.method;
      li.append(
        element(
          'span',
          'jp-MemlensKernel-probeMark',
          probe.available ? '✓' : '✗'
        ),
        element('span', 'jp-MemlensKernel-probeName', probe.name),
        element(
          'span',
          'jp-MemlensKernel-probeMethod',
          probe.available ? probe.method : probe.detail || 'unavailable'
        )
      );
      ul.append(li);
    }
    section.append(ul);
    return section;
  }
}
