import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import { readFileSync } from 'fs';
import { join } from 'path';

import {
  DEFAULT_SETTINGS,
  readSettings,
  type IMemlensSettings
} from '../../src/common/settings';

interface ISchemaProperty {
  type: string;
  title: string;
  default: unknown;
}

const schema = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'schema', 'plugin.json'), 'utf-8')
) as { properties: Record<string, ISchemaProperty> };

/** Settings whose composite values are `values`. */
function fakeSettings(
  values: Record<string, unknown>
): ISettingRegistry.ISettings {
  return {
    get: (key: string) => ({ composite: values[key] })
  } as unknown as ISettingRegistry.ISettings;
}

describe('settings', () => {
  it('has the schema defaults, one for each setting of the schema', () => {
    const defaults = Object.fromEntries(
      Object.entries(schema.properties).map(([key, p]) => [key, p.default])
    );
    expect(DEFAULT_SETTINGS).toEqual(defaults);
  });

  it('offers a memory cap for the variables walk, 0 meaning automatic', () => {
    const cap = schema.properties.variablesMemoryCapMiB;
    expect(cap.type).toBe('integer');
    expect(cap.title).toBe('Variables: memory cap (MiB)');
    expect(cap.default).toBe(0);
  });

  it('reads the memory cap, and keeps the default for a mistyped one', () => {
    const read = (value: unknown): IMemlensSettings =>
      readSettings(
        fakeSettings({ ...DEFAULT_SETTINGS, variablesMemoryCapMiB: value })
      );
    expect(read(512).variablesMemoryCapMiB).toBe(512);
    expect(read('512').variablesMemoryCapMiB).toBe(0);
    expect(read(undefined).variablesMemoryCapMiB).toBe(0);
  });
});

describe('the saved Variables columns', () => {
  it('reads a list of strings, else null (none chosen)', () => {
    const read = (value: unknown): IMemlensSettings['variablesColumns'] =>
      readSettings(
        fakeSettings({ ...DEFAULT_SETTINGS, variablesColumns: value })
      ).variablesColumns;
    expect(read(['deep', 'type'])).toEqual(['deep', 'type']);
    expect(read(['deep', 3])).toEqual(['deep']);
    expect(read(null)).toBeNull();
    expect(read('deep')).toBeNull();
  });
});
