import { variablesTable } from '../../src/cells/report';
import type { IVariableRow } from '../../src/wire/protocol';

const MIB = 1024 * 1024;

function row(overrides: Partial<IVariableRow>): IVariableRow {
  return {
    name: 'df',
    type: 'pandas.DataFrame',
    shape: '(10, 2)',
    getsizeof: 2 * MIB,
    deep: 15 * MIB,
    retained: 10 * MIB,
    partial: false,
    flags: [],
    expandable: true,
    ...overrides
  };
}

describe("the HTML report's variables snapshot marks what the sidebar marks", () => {
  it('shows a retained size kept from an earlier walk (retained_stale) as ≈', () => {
    const html = variablesTable([row({ flags: ['retained_stale'] })], 'binary');
    // Deep is exact (the walk was complete); only retained is approximate.
    expect(html).toContain(
      '<tr><td>df</td><td>pandas.DataFrame</td><td>≈ 10.0 MiB</td><td>15.0 MiB</td><td>2.0 MiB</td></tr>'
    );
  });

  it('shows a cut walk as ≥ on deep and ≈ on retained, an exact row bare', () => {
    const cut = variablesTable(
      [row({ partial: true, flags: ['budget'] })],
      'binary'
    );
    expect(cut).toContain('<td>≈ 10.0 MiB</td><td>≥ 15.0 MiB</td>');
    const exact = variablesTable([row({})], 'binary');
    expect(exact).toContain('<td>10.0 MiB</td><td>15.0 MiB</td>');
    expect(exact).not.toMatch(/[≈≥]/);
  });
});
