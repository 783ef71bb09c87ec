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
