import { CellHistoryModel } from '../../src/cells/model';
import { parseCellRecord, type ICellRecord } from '../../src/wire/protocol';
import { cellRecord } from '../replies';

function records(...specs: Array<[number, string | null]>): ICellRecord[] {
  return specs.map(([seq, id]) => parseCellRecord(cellRecord(seq, id)));
}

describe('CellHistoryModel', () => {
  it('keeps records in order, ignores duplicates and finds the newest per cell', () => {
    const history = new CellHistoryModel();
    let changes = 0;
    history.changed.connect(() => changes++);
    history.follow(10);
    history.add(records([1, 'a'], [2, 'b']), false);
    history.add(records([2, 'b'], [3, 'a']), false);
    expect(
      history.entries.map(e => (e.kind === 'record' ? e.record.seq : -1))
    ).toEqual([1, 2, 3]);
    expect(history.latestFor('a')?.seq).toBe(3);
    expect(history.latestFor('zzz')).toBeNull();
    expect(history.lastSeq).toBe(3);
    const before = changes;
    history.add(records([3, 'a']), false);
    expect(changes).toBe(before);
  });

  it('marks a restart and starts the cursor again for the new process', () => {
    const history = new CellHistoryModel();
    history.follow(10);
    history.add(records([1, 'a'], [2, 'b']), false);
    history.follow(11);
    expect(history.lastSeq).toBe(0);
    history.add(records([1, 'c']), true);
    expect(history.entries.map(e => e.kind)).toEqual([
      'record',
      'record',
      'restart',
      'record'
    ]);
    expect(history.latestFor('a')?.seq).toBe(1);
    expect(history.latestFor('c')?.seq).toBe(1);
    expect(history.precise).toBe(true);
  });

  it('adds no restart mark for the first process or the same pid again', () => {
    const history = new CellHistoryModel();
    history.follow(10);
    history.follow(10);
    history.add(records([1, 'a']), false);
    history.follow(10);
    expect(history.entries.map(e => e.kind)).toEqual(['record']);
  });
});
