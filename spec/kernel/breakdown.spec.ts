import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { SettingsModel } from '../../src/common/settings';
import { partText, renderBreakdown } from '../../src/kernel/breakdown';
import { freedText } from '../../src/kernel/freeing';
import { KernelModel } from '../../src/kernel/model';
import { KernelSection } from '../../src/kernel/section';
import type {
  FreeAction,
  IFreeMemoryBody,
  IKernelInfo,
  IKernelMemoryBody
} from '../../src/wire/protocol';
import { exampleBody } from '../replies';

const FULL = exampleBody<IKernelMemoryBody>(
  'kernel_memory reply: a 500 MiB array, a result pinned by Out, fragmentation'
);
const CUT = exampleBody<IKernelMemoryBody>(
  'kernel_memory reply cut short by its budget'
);
const TRIM = exampleBody<IFreeMemoryBody>(
  'free_memory reply: trim gave back 212 MiB'
);
const CLEAR = exampleBody<IFreeMemoryBody>(
  'free_memory reply: the output cache cleared'
);

describe('renderBreakdown', () => {
  it('stacks the non-empty parts as shares of RSS, with a legend in bytes', () => {
    const node = renderBreakdown(FULL, 'binary');
    const segments = Array.from(
      node.querySelectorAll<HTMLElement>('.jp-MemlensBreakdown-segment')
    );
    expect(segments.map(s => s.dataset.part)).toEqual([
      'variables',
      'output_cache',
      'allocators_free',
      'libraries_and_code',
      'rest'
    ]);
    expect(segments[0].style.width).toBe('48.83%'); // 500 MiB of 1 GiB
    const widths = segments.map(s => parseFloat(s.style.width));
    expect(widths.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 1);
    const variables = node.querySelector(
      '.jp-MemlensBreakdown-item[data-part="variables"] .jp-MemlensBreakdown-value'
    );
    expect(variables?.textContent).toBe('500.0 MiB');
    expect(
      node.querySelector('.jp-MemlensBreakdown-caption')?.textContent
    ).toBe('RSS 1.0 GiB, made of:');
    expect(
      node.querySelector('.jp-MemlensBreakdown-note')?.textContent
    ).toContain('at most 299.0 MiB');
  });

  it('marks a part cut short as a lower bound and the rest as an upper bound', () => {
    expect(partText(CUT, 'variables', 'binary')).toBe('≥ 1.0 GiB');
    expect(partText(CUT, 'rest', 'binary')).toMatch(/^≤ /);
    expect(partText(FULL, 'rest', 'binary')).toBe('64.0 MiB');
  });
});

describe('freedText', () => {
  it('says what an action gave back', () => {
    expect(freedText(TRIM, 'binary')).toBe('gave back 212.0 MiB');
    expect(freedText(CLEAR, 'binary')).toBe(
      'gave back 100.0 MiB; 3 results cleared'
    );
    expect(freedText({ ...TRIM, gave_back: 0 }, 'binary')).toBe(
      'gave back nothing (RSS did not drop)'
    );
    expect(freedText({ ...TRIM, available: false }, 'binary')).toBe(
      'not available in this kernel'
    );
  });
});

describe('KernelSection', () => {
  function shown(): { section: KernelSection; model: KernelModel } {
    const model = new KernelModel({ notebookName: 'a.ipynb' });
    const hello = exampleBody<IKernelInfo>('hello reply');
    model.update({ state: 'connected', info: hello, snapshot: hello.memory });
    const section = new KernelSection({
      onRetry: () => undefined,
      settings: new SettingsModel()
    });
    Widget.attach(section, document.body);
    section.model = model;
    MessageLoop.sendMessage(section, Widget.Msg.UpdateRequest);
    return { section, model };
  }

  function draw(section: KernelSection): void {
    MessageLoop.sendMessage(section, Widget.Msg.UpdateRequest);
  }

  it('leads with RSS and peak and folds the kernel details and probes away', () => {
    const { section } = shown();
    const lead = section.node.querySelector(':scope > .jp-MemlensKernel-facts');
    const keys = Array.from(
      lead?.querySelectorAll<HTMLElement>('dd') ?? []
    ).map(dd => dd.dataset.key);
    expect(keys.slice(0, 2)).toEqual(['rss', 'peak']);
    expect(keys).not.toContain('pid');
    const fold = section.node.querySelector('details');
    expect(fold?.open).toBe(false);
    expect(fold?.querySelector('[data-key="pid"]')).not.toBeNull();
    expect(fold?.querySelector('.jp-MemlensKernel-probes')).not.toBeNull();
    section.dispose();
  });

  it('keeps the fold open across renders', () => {
    const { section, model } = shown();
    const fold = section.node.querySelector('details') as HTMLDetailsElement;
    fold.open = true;
    fold.dispatchEvent(new Event('toggle'));
    model.update({ message: '' });
    draw(section);
    expect(section.node.querySelector('details')?.open).toBe(true);
    section.dispose();
  });

  it('draws the picture once read, and asks the model for an action', () => {
    const { section, model } = shown();
    expect(section.node.querySelector('.jp-MemlensBreakdown')).toBeNull();
    model.update({ breakdown: FULL });
    draw(section);
    expect(
      section.node.querySelector('.jp-MemlensBreakdown-bar')
    ).not.toBeNull();
    const asked: FreeAction[] = [];
    model.freeRequested.connect((_, action) => asked.push(action));
    const buttons = Array.from(
      section.node.querySelectorAll<HTMLButtonElement>('.jp-MemlensFree-button')
    );
    expect(buttons.map(b => b.textContent)).toEqual([
      'Collect garbage',
      'Return free memory to the OS',
      'Clear output cache'
    ]);
    buttons[1].click();
    expect(asked).toEqual(['trim']);
    model.update({ freeing: 'trim' });
    draw(section);
    const trimRow = '.jp-MemlensFree-row[data-action="trim"]';
    expect(
      section.node.querySelector(`${trimRow} .jp-MemlensFree-result`)
        ?.textContent
    ).toBe('running…');
    expect(
      section.node.querySelector<HTMLButtonElement>(`${trimRow} button`)
        ?.disabled
    ).toBe(true);
    model.requestFree('collect'); // ignored while one runs
    expect(asked).toEqual(['trim']);
    model.update({ freeing: null, freed: { trim: TRIM } });
    draw(section);
    expect(
      section.node.querySelector(`${trimRow} .jp-MemlensFree-result`)
        ?.textContent
    ).toBe('gave back 212.0 MiB');
    section.dispose();
  });
});
