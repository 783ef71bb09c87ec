import { CellHistoryModel } from '../../src/cells/model';
import { chartSvg } from '../../src/cells/chart';
import { toHtml, variablesTable } from '../../src/cells/report';
import type { IVariableRow } from '../../src/wire/protocol';
import { parseCellRecord } from '../../src/wire/protocol';
import { cellRecord } from '../replies';

const MIB = 1024 * 1024;

function history(): CellHistoryModel {
  const model = new CellHistoryModel();
  model.follow(7);
  model.add(
    [
      parseCellRecord(
        cellRecord(1, 'a', {
          execution_count: 1,
          rss_before: 100 * MIB,
          rss_after: 260 * MIB,
          rss_peak: 300 * MIB
        })
      ),
      parseCellRecord(
        cellRecord(2, 'b', {
          execution_count: 2,
          rss_before: 260 * MIB,
          rss_after: 200 * MIB,
          rss_peak: 260 * MIB
        })
      )
    ],
    false
  );
  return model;
}

/** The y of every point of the RSS line. */
function lineYs(svg: string): number[] {
  const points = /<polyline points="([^"]+)"/.exec(svg)![1];
  return points.split(' ').map(point => Number(point.split(',')[1]));
}

describe('chartSvg (issue #13)', () => {
  const svg = chartSvg(history().entries, 'binary');

  it('labels both axes and has a legend', () => {
    expect(svg).toContain('Δ RSS per cell');
    expect(svg).toContain('RSS after the cell');
    expect(svg).toContain('left axis');
    expect(svg).toContain('right axis');
    // The left axis runs ± the largest change, the right one from 0 to the largest RSS.
    expect(svg).toContain('>+160.0 MiB<');
    expect(svg).toContain('>-160.0 MiB<');
    expect(svg).toContain('>260.0 MiB<');
    expect(svg).toContain('>0 B<');
  });

  it('draws RSS on its own axis, never below the plot’s zero', () => {
    const ys = lineYs(svg);
    const bottom = Math.max(
      ...[
        ...svg.matchAll(
          /<line x1="[\d.]+" y1="([\d.]+)" x2="[\d.]+" y2="([\d.]+)"/g
        )
      ].map(match => Math.max(Number(match[1]), Number(match[2])))
    );
    for (const y of ys) {
      expect(y).toBeLessThanOrEqual(bottom);
    }
    // The larger RSS is higher on the page (smaller y).
    expect(ys[0]).toBeLessThan(ys[1]);
  });
});

describe('the HTML report', () => {
  const rows: IVariableRow[] = [
    {
      name: 'df',
      type: 'pandas.DataFrame',
      shape: '(10, 2)',
      getsizeof: 2 * MIB,
      deep: 15 * MIB,
      retained: 10 * MIB,
      partial: true,
      flags: ['budget'],
      expandable: true
    }
  ];

  it('keeps numbers on one line', () => {
    const html = toHtml(
      history().entries,
      { notebook: 'n.ipynb', exportedAt: 'now' },
      'binary'
    );
    expect(html).toMatch(/th, td \{[^}]*white-space: nowrap/);
  });

  it('includes a snapshot of the variables: name, type, retained, deep, getsizeof', () => {
    const html = toHtml(
      history().entries,
      { notebook: 'n.ipynb', exportedAt: 'now' },
      'binary',
      rows
    );
    expect(html).toContain(
      '<tr><td>df</td><td>pandas.DataFrame</td><td>≈ 10.0 MiB</td><td>≥ 15.0 MiB</td><td>2.0 MiB</td></tr>'
    );
    expect(variablesTable(null, 'binary')).toBe('');
    expect(
      toHtml(
        history().entries,
        { notebook: 'n.ipynb', exportedAt: 'now' },
        'binary'
      )
    ).not.toContain('Variables (');
  });
});
