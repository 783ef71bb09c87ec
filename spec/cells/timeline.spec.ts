import { CellHistoryModel } from '../../src/cells/model';
import { timelineData } from '../../src/cells/timeline';
import { parseCellRecord } from '../../src/wire/protocol';
import { cellRecord } from '../replies';

const MIB = 1024 * 1024;

describe('timelineData (issue #13 item 4)', () => {
  it('has one bar and one point per cell, in run order, with their cells', () => {
    const model = new CellHistoryModel();
    model.follow(1);
    model.add(
      [
        parseCellRecord(
          cellRecord(1, 'first', {
            execution_count: 3,
            preview: '<b>x</b> = 1',
            rss_before: 100 * MIB,
            rss_after: 160 * MIB
          })
        ),
        parseCellRecord(
          cellRecord(2, 'second', {
            execution_count: 3,
            rss_before: 160 * MIB,
            rss_after: 150 * MIB
          })
        )
      ],
      false
    );
    const data = timelineData(model.entries, 'binary');
    expect(data.x).toEqual(['1: [3]', '2: [3]']);
    expect(data.deltas).toEqual([60 * MIB, -10 * MIB]);
    expect(data.rss).toEqual([160 * MIB, 150 * MIB]);
    expect(data.cellIds).toEqual(['first', 'second']);
    expect(data.text[0]).toContain('Δ RSS +60.0 MiB');
  });
});
