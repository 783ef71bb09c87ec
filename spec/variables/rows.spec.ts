import type { IVariableRow } from '../../src/wire/protocol';
import {
  deviceText,
  filterRows,
  flagsText,
  keptText,
  keptTooltip,
  ratio,
  ratioText,
  retainedIsApprox,
  sizeText,
  sortRows
} from '../../src/variables/rows';

function row(
  name: string,
  overrides: Partial<IVariableRow> = {}
): IVariableRow {
  return {
    name,
    type: 'list',
    shape: 'len 4',
    getsizeof: 88,
    deep: 200,
    retained: 100,
    partial: false,
    flags: [],
    expandable: true,
    ...overrides
  };
}

describe('variable rows', () => {
  const rows = [
    row('list_1', { deep: 200, retained: 88 }),
    row('list_2', { deep: 305, retained: 305 }),
    row('df', {
      type: 'pandas.DataFrame',
      getsizeof: null,
      deep: 10,
      retained: 10
    })
  ];

  it('sorts by retained size, largest first, and by name ascending', () => {
    expect(sortRows(rows, 'retained', true).map(r => r.name)).toEqual([
      'list_2',
      'list_1',
      'df'
    ]);
    expect(sortRows(rows, 'name', false).map(r => r.name)).toEqual([
      'df',
      'list_1',
      'list_2'
    ]);
  });

  it('puts unknown getsizeof last when sorting by it, largest first', () => {
    expect(
      sortRows(rows, 'getsizeof', true)
        .map(r => r.name)
        .pop()
    ).toBe('df');
  });

  it('filters by name or type, ignoring case', () => {
    expect(filterRows(rows, 'LIST_').map(r => r.name)).toEqual([
      'list_1',
      'list_2'
    ]);
    expect(filterRows(rows, 'dataframe').map(r => r.name)).toEqual(['df']);
    expect(filterRows(rows, '  ')).toHaveLength(3);
  });

  it('computes deep ÷ getsizeof, unknown when getsizeof is', () => {
    expect(ratio(rows[1])).toBeCloseTo(305 / 88);
    expect(ratioText(rows[1])).toBe('3.5×');
    expect(ratio(rows[2])).toBeNull();
    expect(ratioText(rows[2])).toBe('—');
  });

  it('marks sizes from an unfinished walk as lower bounds', () => {
    expect(sizeText(2048, true, 'binary')).toBe('≥ 2.0 KiB');
    expect(sizeText(2048, false, 'binary')).toBe('2.0 KiB');
  });

  it('explains flags in words and keeps unknown ones', () => {
    expect(flagsText(['sizeof_raised', 'new_flag'])).toBe(
      '__sizeof__ raised; its basic size is counted instead\nnew_flag'
    );
  });
});

describe('GPU bytes', () => {
  const rows = [
    row('cpu_list'),
    row('weights', { device_bytes: 4096 }),
    row('zero', { device_bytes: 0 }),
    row('acts', { device_bytes: 8192 }),
    row('bias', { device_bytes: 4096 })
  ];

  it('sorts by device bytes, missing as 0, ties by name', () => {
    expect(sortRows(rows, 'device', true).map(r => r.name)).toEqual([
      'acts',
      'bias',
      'weights',
      'cpu_list',
      'zero'
    ]);
    expect(sortRows(rows, 'device', false).map(r => r.name)).toEqual([
      'cpu_list',
      'zero',
      'bias',
      'weights',
      'acts'
    ]);
  });

  it('reads the GPU column as bytes, ≥ for a cut walk, a dash for none', () => {
    expect(deviceText({ device_bytes: 4096, partial: false }, 'binary')).toBe(
      '4.0 KiB'
    );
    expect(deviceText({ device_bytes: 4096, partial: true }, 'binary')).toBe(
      '≥ 4.0 KiB'
    );
    expect(deviceText({ partial: false }, 'binary')).toBe('—');
    expect(deviceText({ device_bytes: 0, partial: true }, 'binary')).toBe('—');
  });
});

describe('kept sizes', () => {
  it('reads a kept row with other variables changed as approximate', () => {
    expect(retainedIsApprox({ partial: false, flags: [] })).toBe(false);
    expect(
      retainedIsApprox({ partial: false, flags: ['retained_stale'] })
    ).toBe(true);
    expect(retainedIsApprox({ partial: true, flags: [] })).toBe(true);
    expect(flagsText(['retained_stale'])).toContain('deep size is exact');
  });

  it('says which cell a kept size is from, and its limit', () => {
    expect(keptText(7)).toBe('kept from cell [7]');
    expect(keptText(undefined)).toBe('');
    expect(keptTooltip(7)).toContain('after cell [7]');
    expect(keptTooltip(7)).toContain('in-place change deep inside');
    expect(keptTooltip(undefined)).toBe('');
  });
});
