import {
  holders,
  sharedLine,
  sharedTooltip,
  type IShares
} from '../../src/variables/shares';

const MIB = 1024 * 1024;

function row(shared: IShares['shared_with'], retained = 15 * MIB): IShares {
  return { deep: 281 * MIB, retained, shared_with: shared };
}

describe('who shares', () => {
  it('names the first two holders with their bytes on the short line', () => {
    const line = sharedLine(
      row([
        { name: 'df2', bytes: 150 * MIB },
        { name: 'Out', bytes: 100 * MIB },
        { name: 'by_city', bytes: 16 * MIB }
      ]),
      'binary'
    );
    expect(line).toBe('shared with df2 (150.0 MiB), Out (100.0 MiB) +1');
  });

  it('names every holder in the tooltip, with the shared part', () => {
    const tip = sharedTooltip(
      row([
        { name: 'df2', bytes: 150 * MIB },
        { name: 'Out', bytes: 100 * MIB },
        { name: 'by_city', bytes: 16 * MIB }
      ]),
      'binary'
    );
    expect(tip).toContain('266.0 MiB of what this reaches is also held');
    expect(tip).toContain('by_city (16.0 MiB)');
    expect(tip.split('\n')).toHaveLength(5);
  });

  it('says nothing when the row retains all it reaches or names nobody', () => {
    expect(
      sharedLine(row([{ name: 'b', bytes: 10 }], 281 * MIB), 'binary')
    ).toBe('');
    expect(sharedLine(row(undefined), 'binary')).toBe('');
    expect(sharedLine(row([]), 'binary')).toBe('');
    expect(holders(row([{ name: 'b', bytes: 10 }]))).toHaveLength(1);
    expect(sharedTooltip(row(undefined), 'binary')).toBe('');
  });

  it('follows the units setting', () => {
    expect(sharedLine(row([{ name: 'b', bytes: 2_000_000 }]), 'decimal')).toBe(
      'shared with b (2.0 MB)'
    );
  });
});
