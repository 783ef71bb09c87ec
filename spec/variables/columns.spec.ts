import { readFileSync } from 'fs';
import { join } from 'path';

import {
  barPercent,
  COLUMNS,
  DEVICE_COLUMN_PX,
  hasDeviceBytes,
  nextSort,
  offeredColumns,
  OPTIONAL_COLUMNS,
  secondaryText,
  shownColumns,
  warningFlags,
  WIDE_PX,
  widePx
} from '../../src/variables/columns';
import { flagsText } from '../../src/variables/rows';
import { FLAGS } from '../../src/wire/schema.generated';

describe('shownColumns', () => {
  const all = offeredColumns(true);
  const noGpu = offeredColumns(false);

  it('shows only the name and the retained size at the default sidebar width', () => {
    expect(shownColumns(null, 250, all)).toEqual(['name', 'retained']);
  });

  it('shows every column offered when the section is wide and nothing was chosen', () => {
    expect(shownColumns(null, WIDE_PX, noGpu)).toEqual(
      COLUMNS.map(c => c.key).filter(key => key !== 'device')
    );
    expect(shownColumns(null, WIDE_PX + DEVICE_COLUMN_PX, all)).toEqual(
      COLUMNS.map(c => c.key)
    );
  });

  it('needs the GPU column’s width more before showing all with it', () => {
    expect(widePx(noGpu)).toBe(WIDE_PX);
    expect(widePx(all)).toBe(WIDE_PX + DEVICE_COLUMN_PX);
    expect(shownColumns(null, WIDE_PX, all)).toEqual(['name', 'retained']);
  });

  it('follows the user’s choice at any width, in table order, among the columns offered', () => {
    const chosen = new Set(['device', 'ratio', 'deep'] as const);
    expect(shownColumns(chosen, 250, noGpu)).toEqual([
      'name',
      'deep',
      'retained',
      'ratio'
    ]);
    expect(shownColumns(chosen, 250, all)).toEqual([
      'name',
      'deep',
      'retained',
      'ratio',
      'device'
    ]);
    expect(shownColumns(new Set(), 2000, all)).toEqual(['name', 'retained']);
  });

  it('offers every column but name and retained as optional, GPU among them', () => {
    expect([...OPTIONAL_COLUMNS].sort()).toEqual(
      ['deep', 'device', 'getsizeof', 'ratio', 'shape', 'type'].sort()
    );
    expect(COLUMNS.find(c => c.key === 'device')?.title).toBe('GPU');
  });

  it('lets the settings schema validate every optional column, GPU included', () => {
    const schema = JSON.parse(
      readFileSync(
        join(__dirname, '..', '..', 'schema', 'plugin.json'),
        'utf-8'
      )
    ) as {
      properties: { variablesColumns: { items: { enum: string[] } } };
    };
    const allowed = schema.properties.variablesColumns.items.enum;
    expect([...allowed].sort()).toEqual([...OPTIONAL_COLUMNS].sort());
    expect(allowed).toContain('device');
  });
});

describe('the GPU column', () => {
  it('is offered only when some row reaches GPU memory', () => {
    expect(hasDeviceBytes([])).toBe(false);
    expect(hasDeviceBytes([{}, { device_bytes: 0 }])).toBe(false);
    expect(hasDeviceBytes([{}, { device_bytes: 4096 }])).toBe(true);
    expect(offeredColumns(false)).not.toContain('device');
    expect(offeredColumns(false)).toEqual(
      OPTIONAL_COLUMNS.filter(key => key !== 'device')
    );
    expect(offeredColumns(true)).toEqual([...OPTIONAL_COLUMNS]);
  });

  it('says it is device memory, each buffer once, never in Deep or Retained', () => {
    const caption = COLUMNS.find(c => c.key === 'device')?.caption ?? '';
    expect(caption).toContain('each buffer counted once');
    expect(caption).toContain('never in Deep or Retained');
  });
});

describe('secondaryText', () => {
  const row = { type: 'pandas.DataFrame', shape: '(2000000, 4)' };
  it('puts type and shape under the name when their columns are hidden', () => {
    expect(secondaryText(row, ['name', 'retained'])).toBe(
      'pandas.DataFrame · (2000000, 4)'
    );
  });
  it('leaves out what a shown column already says', () => {
    expect(secondaryText(row, ['name', 'type', 'retained'])).toBe(
      '(2000000, 4)'
    );
    expect(secondaryText({ type: 'int', shape: null }, ['name'])).toBe('int');
  });
});

describe('barPercent', () => {
  it('is the share of the largest size, clamped to 0–100', () => {
    expect(barPercent(50, 200)).toBe(25);
    expect(barPercent(200, 200)).toBe(100);
    expect(barPercent(300, 200)).toBe(100);
    expect(barPercent(0, 200)).toBe(0);
    expect(barPercent(10, 0)).toBe(0);
  });
});

describe('warningFlags', () => {
  it('leaves out flags the "≥" already says or that keep sizes exact', () => {
    expect(
      warningFlags(['budget', 'capped', 'interrupted', 'deep_nesting'])
    ).toEqual([]);
  });
  it('keeps flags that change how to read the number', () => {
    expect(warningFlags(['budget', 'opaque', 'mutated'])).toEqual([
      'opaque',
      'mutated'
    ]);
  });
  it('has words for every flag of the protocol', () => {
    for (const flag of FLAGS) {
      expect(flagsText([flag])).not.toBe(flag);
    }
    expect(flagsText(['opaque'])).toBe(
      'holds memory memlens cannot see (ctypes buffer, StringIO, mmap, sqlite): sizes may be lower bounds'
    );
  });
});

describe('nextSort', () => {
  it('flips the order for the same column, starts sizes descending and names ascending', () => {
    expect(nextSort({ key: 'retained', descending: true }, 'retained')).toEqual(
      { key: 'retained', descending: false }
    );
    expect(nextSort({ key: 'retained', descending: true }, 'name')).toEqual({
      key: 'name',
      descending: false
    });
    expect(nextSort({ key: 'name', descending: false }, 'deep')).toEqual({
      key: 'deep',
      descending: true
    });
  });
});
