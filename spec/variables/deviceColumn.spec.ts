import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { SettingsModel } from '../../src/common/settings';
import { VariablesFetcher } from '../../src/variables/fetcher';
import { VariablesSection } from '../../src/variables/section';
import type { IVariableRow, IVariablesBody } from '../../src/wire/protocol';

const MIB = 1024 * 1024;

function variable(
  name: string,
  retained: number,
  deviceBytes?: number
): IVariableRow {
  return {
    name,
    type: 'torch.Tensor',
    shape: '(1024, 1024)',
    getsizeof: 72,
    deep: retained,
    retained,
    partial: false,
    flags: [],
    expandable: false,
    ...(deviceBytes === undefined ? {} : { device_bytes: deviceBytes })
  };
}

/** Three variables; with `gpu`, two of them reach device memory. */
function body(gpu: boolean): IVariablesBody {
  return {
    rows: [
      variable('host', 30 * MIB),
      variable('small', 2 * MIB, gpu ? 4 * MIB : undefined),
      variable('large', 1 * MIB, gpu ? 64 * MIB : undefined)
    ],
    output_cache: null,
    partial: false,
    stats: { elapsed_ms: 1, objects: 10, walker_peak_bytes: 1, capped: false }
  };
}

interface IRendered {
  section: VariablesSection;
  fetcher: VariablesFetcher;
  saved: unknown[];
}

/** A section at jsdom's width (narrow: no ResizeObserver), showing `body`. */
function render(
  sizes: IVariablesBody,
  chosen: string[] | null = null
): IRendered {
  const settings = new SettingsModel();
  settings.value = { ...settings.value, variablesColumns: chosen };
  const saved: unknown[] = [];
  settings.saver = (key, value) => {
    if (key === 'variablesColumns') {
      saved.push(value);
    }
    return Promise.resolve();
  };
  const section = new VariablesSection({ settings });
  const fetcher = new VariablesFetcher({ session: () => null, budgetMs: 50 });
  Widget.attach(section, document.body);
  section.fetcher = fetcher;
  fetcher.model.update({ body: sizes, loading: false, error: '' });
  MessageLoop.flush();
  return { section, fetcher, saved };
}

function dispose({ section, fetcher }: IRendered): void {
  section.dispose();
  fetcher.dispose();
}

function headings(section: VariablesSection): Array<string | undefined> {
  return [
    ...section.node.querySelectorAll<HTMLElement>('th:not([hidden])')
  ].map(th => th.dataset.key);
}

function names(section: VariablesSection): string[] {
  return [
    ...section.node.querySelectorAll<HTMLElement>('.jp-MemlensVariables-row')
  ].map(row => row.dataset.name ?? '');
}

function chooserBox(section: VariablesSection): HTMLInputElement | null {
  return section.node.querySelector<HTMLInputElement>(
    '.jp-MemlensVariables-columns input[data-key="device"]'
  );
}

function sortOption(section: VariablesSection): HTMLOptionElement | null {
  return section.node.querySelector<HTMLOptionElement>(
    '.jp-MemlensVariables-sort option[value="device"]'
  );
}

function gpuLine(section: VariablesSection, name: string): string | null {
  return (
    section.node.querySelector(`[data-name="${name}"] .jp-MemlensVariables-gpu`)
      ?.textContent ?? null
  );
}

describe('Variables: the GPU column', () => {
  it('is neither shown nor offered without GPU data, even when chosen', () => {
    const rendered = render(body(false), ['deep', 'device']);
    const { section } = rendered;
    expect(headings(section)).toEqual(['name', 'deep', 'retained']);
    expect(chooserBox(section)?.closest('label')?.hidden).toBe(true);
    expect(sortOption(section)?.hidden).toBe(true);
    expect(section.node.querySelector('.jp-MemlensVariables-gpu')).toBeNull();
    dispose(rendered);
  });

  it('is offered with GPU data; chosen, it shows the bytes and the line under the name goes', () => {
    const rendered = render(body(true));
    const { section } = rendered;
    // Not chosen at 250 px: the line under the name says it.
    expect(headings(section)).toEqual(['name', 'retained']);
    expect(gpuLine(section, 'large')).toBe('GPU 64.0 MiB');
    expect(gpuLine(section, 'host')).toBeNull();
    expect(chooserBox(section)?.closest('label')?.hidden).toBe(false);
    expect(sortOption(section)?.hidden).toBe(false);

    const box = chooserBox(section)!;
    box.checked = true;
    box.dispatchEvent(new Event('change'));
    MessageLoop.flush();
    expect(rendered.saved).toEqual([['device']]);
    expect(headings(section)).toEqual(['name', 'retained', 'device']);
    expect(
      section.node.querySelector('th[data-key="device"]')?.textContent
    ).toBe('GPU');
    const cell = (name: string): string | null | undefined =>
      section.node.querySelector(`[data-name="${name}"] td[data-key="device"]`)
        ?.textContent;
    expect(cell('large')).toBe('64.0 MiB');
    expect(cell('host')).toBe('—');
    expect(section.node.querySelector('.jp-MemlensVariables-gpu')).toBeNull();
    dispose(rendered);
  });

  it('sorts by device bytes from its heading, largest first', () => {
    const rendered = render(body(true), ['device']);
    const { section } = rendered;
    expect(names(section)).toEqual(['host', 'small', 'large']);
    section.node
      .querySelector<HTMLButtonElement>('th[data-key="device"] button')!
      .click();
    MessageLoop.flush();
    expect(names(section)).toEqual(['large', 'small', 'host']);
    expect(
      section.node
        .querySelector('th[data-key="device"]')
        ?.getAttribute('aria-sort')
    ).toBe('descending');
    expect(
      section.node.querySelector<HTMLSelectElement>('.jp-MemlensVariables-sort')
        ?.value
    ).toBe('device');
    dispose(rendered);
  });

  it('keeps a saved GPU choice when another column is toggled without GPU data', () => {
    const rendered = render(body(false), ['device']);
    const box = rendered.section.node.querySelector<HTMLInputElement>(
      '.jp-MemlensVariables-columns input[data-key="deep"]'
    )!;
    box.checked = true;
    box.dispatchEvent(new Event('change'));
    expect(rendered.saved).toEqual([['deep', 'device']]);
    dispose(rendered);
  });
});
