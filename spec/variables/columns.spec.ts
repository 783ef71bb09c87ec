import {
  barPercent,
  COLUMNS,
  nextSort,
  OPTIONAL_COLUMNS,
  secondaryText,
  shownColumns,
  warningFlags,
  WIDE_PX
} from '../../src/variables/columns';
import { flagsText } from '../../src/variables/rows';
import { FLAGS } from '../../src/wire/schema.generated';

describe('shownColumns', () => {
  it('shows only the name and the retained size at the default sidebar width', () => {
    expect(shownColumns(null, 250)).toEqual(['name', 'retained']);
  });

  it('shows every column when the section is wide and nothing was chosen', () => {
    expect(shownColumns(null, WIDE_PX)).toEqual(COLUMNS.map(c => c.key));
  });

  it('follows the user’s choice at any width, in table order', () => {
    const chosen = new Set(['ratio', 'deep'] as const);
    expect(shownColumns(chosen, 250)).toEqual([
      'name',
      'deep',
      'retained',
      'ratio'
    ]);
    expect(shownColumns(new Set(), 2000)).toEqual(['name', 'retained']);
  });

  it('offers every column but name and retained as optional', () => {
    expect([...OPTIONAL_COLUMNS].sort()).toEqual(
      ['deep', 'getsizeof', 'ratio', 'shape', 'type'].sort()
    );
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
