import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { readFileSync } from 'fs';
import { join } from 'path';

import { VariablesFetcher } from '../../src/variables/fetcher';
import type { IVariablesBody } from '../../src/wire/protocol';
import { SettingsModel } from '../../src/common/settings';
import { flagsText } from '../../src/variables/rows';
import { VariablesSection } from '../../src/variables/section';

const schema = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'schema', 'plugin.json'), 'utf-8')
) as { properties: Record<string, { title: string }> };

/** The title the Settings Editor shows for the memory cap. */
const CAP_TITLE = schema.properties.variablesMemoryCapMiB.title;

function body(capped: boolean): IVariablesBody {
  return {
    rows: [
      {
        name: 'table',
        type: 'dict',
        shape: 'len 300000',
        getsizeof: 10485848,
        deep: 20000000,
        retained: 20000000,
        partial: capped,
        flags: capped ? ['capped'] : [],
        expandable: true
      }
    ],
    output_cache: null,
    partial: capped,
    stats: {
      elapsed_ms: 12,
      objects: 500000,
      walker_peak_bytes: 65536,
      capped
    }
  };
}

function statusOf(capped: boolean): string {
  const section = new VariablesSection({ settings: new SettingsModel() });
  const fetcher = new VariablesFetcher({ session: () => null, budgetMs: 50 });
  Widget.attach(section, document.body);
  section.fetcher = fetcher;
  fetcher.model.update({ body: body(capped), loading: false, error: '' });
  MessageLoop.flush();
  const text =
    section.node.querySelector('.jp-MemlensVariables-status')?.textContent ??
    '';
  Widget.detach(section);
  section.dispose();
  fetcher.dispose();
  return text;
}

describe('VariablesSection', () => {
  it('says when the walk hit its memory cap, naming the setting', () => {
    const text = statusOf(true);
    expect(text).toContain('memory cap');
    expect(text).toContain(`"${CAP_TITLE}"`);
    expect(statusOf(false)).not.toContain('memory cap');
  });

  it('names the setting in a capped row’s flag text', () => {
    expect(flagsText(['capped'])).toContain(`"${CAP_TITLE}"`);
  });
});

describe('VariablesSection visibility', () => {
  it('tells its fetcher whether it is shown, and lets go of it', () => {
    const section = new VariablesSection({ settings: new SettingsModel() });
    const first = new VariablesFetcher({ session: () => null, budgetMs: 50 });
    const second = new VariablesFetcher({ session: () => null, budgetMs: 50 });
    section.fetcher = first;
    expect(first.isActive).toBe(false);
    Widget.attach(section, document.body);
    expect(first.isActive).toBe(true);
    section.hide();
    expect(first.isActive).toBe(false);
    section.show();
    expect(first.isActive).toBe(true);
    section.fetcher = second;
    expect(first.isActive).toBe(false);
    expect(second.isActive).toBe(true);
    section.dispose();
    expect(second.isActive).toBe(false);
    first.dispose();
    second.dispose();
  });
});

describe('VariablesSection at the default sidebar width', () => {
  function rows(): IVariablesBody {
    const sized = (name: string, retained: number, flags: string[] = []) => ({
      name,
      type: 'list',
      shape: 'len 3',
      getsizeof: 80,
      deep: retained,
      retained,
      partial: flags.includes('budget'),
      flags: flags as IVariablesBody['rows'][number]['flags'],
      expandable: false
    });
    return {
      rows: [sized('small', 1000, ['budget']), sized('big', 4000, ['opaque'])],
      output_cache: null,
      partial: true,
      stats: { elapsed_ms: 1, objects: 10, walker_peak_bytes: 1, capped: false }
    };
  }

  function render(): { section: VariablesSection; fetcher: VariablesFetcher } {
    const section = new VariablesSection({ settings: new SettingsModel() });
    const fetcher = new VariablesFetcher({ session: () => null, budgetMs: 50 });
    Widget.attach(section, document.body);
    section.fetcher = fetcher;
    fetcher.model.update({ body: rows(), loading: false, error: '' });
    MessageLoop.flush();
    return { section, fetcher };
  }

  function names(section: VariablesSection): string[] {
    return [
      ...section.node.querySelectorAll<HTMLElement>('.jp-MemlensVariables-row')
    ].map(row => row.dataset.name ?? '');
  }

  it('shows name and retained with a bar, type and shape under the name', () => {
    const { section, fetcher } = render();
    const headings = [
      ...section.node.querySelectorAll<HTMLElement>('th:not([hidden])')
    ].map(th => th.dataset.key);
    expect(headings).toEqual(['name', 'retained']);
    const big = section.node.querySelector('[data-name="big"]')!;
    expect(
      big.querySelector('.jp-MemlensVariables-secondary')?.textContent
    ).toBe('list · len 3');
    const fill = big.querySelector<HTMLElement>(
      '.jp-MemlensVariables-bar > div'
    );
    expect(fill?.style.width).toBe('100.0%');
    const small = section.node.querySelector('[data-name="small"]')!;
    expect(
      small.querySelector<HTMLElement>('.jp-MemlensVariables-bar > div')?.style
        .width
    ).toBe('25.0%');
    // ⚠ for opaque, none for a budget lower bound (its "≥" says it).
    expect(big.querySelector('.jp-MemlensVariables-flag')).not.toBeNull();
    expect(small.querySelector('.jp-MemlensVariables-flag')).toBeNull();
    // A cut walk's retained size is approximate, not a lower bound.
    expect(small.querySelector('td[data-key="retained"]')?.textContent).toMatch(
      /^≈ /
    );
    expect(small.querySelector('td[data-key="deep"]')?.textContent).toMatch(
      /^≥ /
    );
    section.dispose();
    fetcher.dispose();
  });

  it('shows a chosen column and sorts from a heading button or the select', () => {
    const { section, fetcher } = render();
    expect(names(section)).toEqual(['big', 'small']);
    const deep = section.node.querySelector<HTMLInputElement>(
      '.jp-MemlensVariables-columns input[data-key="deep"]'
    )!;
    deep.checked = true;
    deep.dispatchEvent(new Event('change'));
    MessageLoop.flush();
    expect(
      [...section.node.querySelectorAll<HTMLElement>('th:not([hidden])')].map(
        th => th.dataset.key
      )
    ).toEqual(['name', 'deep', 'retained']);
    const nameButton = section.node.querySelector<HTMLButtonElement>(
      'th[data-key="name"] button'
    )!;
    nameButton.click();
    MessageLoop.flush();
    expect(names(section)).toEqual(['big', 'small']);
    expect(
      section.node
        .querySelector('th[data-key="name"]')
        ?.getAttribute('aria-sort')
    ).toBe('ascending');
    const select = section.node.querySelector<HTMLSelectElement>(
      '.jp-MemlensVariables-sort'
    )!;
    select.value = 'retained';
    select.dispatchEvent(new Event('change'));
    MessageLoop.flush();
    expect(names(section)).toEqual(['big', 'small']);
    select.value = 'retained';
    select.dispatchEvent(new Event('change'));
    MessageLoop.flush();
    expect(names(section)).toEqual(['small', 'big']);
    section.dispose();
    fetcher.dispose();
  });
});

describe('VariablesSection: who shares, and the saved column choice', () => {
  function body(): IVariablesBody {
    return {
      rows: [
        {
          name: 'df',
          type: 'pandas.DataFrame',
          shape: '(3, 2)',
          getsizeof: 1000,
          deep: 300 * 1024 * 1024,
          retained: 15 * 1024 * 1024,
          partial: false,
          flags: [],
          expandable: true,
          shared_with: [{ name: 'df2', bytes: 150 * 1024 * 1024 }]
        }
      ],
      output_cache: null,
      partial: false,
      stats: { elapsed_ms: 1, objects: 10, walker_peak_bytes: 1, capped: false }
    };
  }

  function render(settings: SettingsModel): {
    section: VariablesSection;
    fetcher: VariablesFetcher;
  } {
    const section = new VariablesSection({ settings });
    const fetcher = new VariablesFetcher({ session: () => null, budgetMs: 50 });
    Widget.attach(section, document.body);
    section.fetcher = fetcher;
    fetcher.model.update({ body: body(), loading: false, error: '' });
    MessageLoop.flush();
    return { section, fetcher };
  }

  it('puts the other holders under the name, and in the retained tooltip', () => {
    const { section, fetcher } = render(new SettingsModel());
    const df = section.node.querySelector('[data-name="df"]')!;
    expect(df.querySelector('.jp-MemlensVariables-shared')?.textContent).toBe(
      'shared with df2 (150.0 MiB)'
    );
    expect(
      df.querySelector<HTMLElement>('td[data-key="retained"]')?.title
    ).toContain('df2 (150.0 MiB)');
    section.dispose();
    fetcher.dispose();
  });

  it('saves the column choice and a new section starts with it', () => {
    const settings = new SettingsModel();
    const saved: Array<[string, unknown]> = [];
    settings.saver = (key, value) => {
      saved.push([key, value]);
      return Promise.resolve();
    };
    const first = render(settings);
    const box = first.section.node.querySelector<HTMLInputElement>(
      '.jp-MemlensVariables-columns input[data-key="deep"]'
    )!;
    box.checked = true;
    box.dispatchEvent(new Event('change'));
    MessageLoop.flush();
    expect(saved).toEqual([['variablesColumns', ['deep']]]);
    first.section.dispose();
    first.fetcher.dispose();
    // Next session: the registry hands the saved value back.
    const next = new SettingsModel();
    next.value = { ...next.value, variablesColumns: ['deep', 'bogus'] };
    const second = render(next);
    const shown = [
      ...second.section.node.querySelectorAll<HTMLElement>('th:not([hidden])')
    ].map(th => th.dataset.key);
    expect(shown).toEqual(['name', 'deep', 'retained']);
    expect(
      second.section.node.querySelector<HTMLInputElement>(
        '.jp-MemlensVariables-columns input[data-key="deep"]'
      )?.checked
    ).toBe(true);
    second.section.dispose();
    second.fetcher.dispose();
  });
});

describe('VariablesSection: sizes kept from the last complete walk', () => {
  it('shows a kept row as exact, with a hint naming the cell', () => {
    const section = new VariablesSection({ settings: new SettingsModel() });
    const fetcher = new VariablesFetcher({ session: () => null, budgetMs: 50 });
    Widget.attach(section, document.body);
    section.fetcher = fetcher;
    const kept = {
      type: 'list',
      shape: 'len 3',
      getsizeof: 80,
      deep: 5000,
      retained: 4000,
      partial: false,
      expandable: false,
      kept_from: 7
    };
    fetcher.model.update({
      body: {
        rows: [
          { ...kept, name: 'same', flags: [] },
          { ...kept, name: 'others', flags: ['retained_stale'] }
        ],
        output_cache: null,
        partial: false,
        stats: {
          elapsed_ms: 1,
          objects: 0,
          walker_peak_bytes: 0,
          capped: false
        }
      },
      loading: false,
      error: ''
    });
    MessageLoop.flush();
    const same = section.node.querySelector('[data-name="same"]')!;
    const hint = same.querySelector<HTMLElement>('.jp-MemlensVariables-kept');
    expect(hint?.textContent).toBe('kept from cell [7]');
    expect(hint?.title).toContain('in-place change deep inside');
    expect(same.querySelector('td[data-key="deep"]')?.textContent).not.toMatch(
      /≥/
    );
    expect(
      same.querySelector('td[data-key="retained"]')?.textContent
    ).not.toMatch(/≈/);
    const others = section.node.querySelector('[data-name="others"]')!;
    expect(
      others.querySelector('td[data-key="retained"]')?.textContent
    ).toMatch(/^≈ /);
    // The "≈" says it; no ⚠ for it.
    expect(others.querySelector('.jp-MemlensVariables-flag')).toBeNull();
    section.dispose();
    fetcher.dispose();
  });
});

describe('VariablesSection while completing', () => {
  it('shows the objects and time so far and a Cancel button', () => {
    const section = new VariablesSection({ settings: new SettingsModel() });
    const fetcher = new VariablesFetcher({ session: () => null, budgetMs: 50 });
    const cancel = jest.spyOn(fetcher, 'cancel').mockResolvedValue();
    Widget.attach(section, document.body);
    section.fetcher = fetcher;
    fetcher.model.update({
      body: body(true),
      loading: true,
      error: '',
      completing: { objects: 1234567, elapsedMs: 2500 }
    });
    MessageLoop.flush();
    const status = section.node.querySelector('.jp-MemlensVariables-status')!;
    expect(
      status.querySelector('.jp-MemlensVariables-progress')?.textContent
    ).toBe('Completing sizes… 1,234,567 objects · 2.50 s');
    expect(status.querySelector('.jp-MemlensVariables-complete')).toBeNull();
    status
      .querySelector<HTMLButtonElement>('.jp-MemlensVariables-cancel')!
      .click();
    expect(cancel).toHaveBeenCalled();
    section.dispose();
    fetcher.dispose();
  });
});
