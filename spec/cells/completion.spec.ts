import { CellHistoryModel } from '../../src/cells/model';
import { parseCellRecord, type ICellRecord } from '../../src/wire/protocol';
import { cellRecord } from '../replies';

const MIB = 1024 * 1024;

function record(
  seq: number,
  id: string,
  overrides: Record<string, unknown> = {}
): ICellRecord {
  return parseCellRecord(cellRecord(seq, id, overrides));
}

const partial = { output_cache_delta: 5 * MIB, output_cache_complete: false };
const complete = { output_cache_delta: 80 * MIB, output_cache_complete: true };

describe('CellHistoryModel and a pin the kernel completes later', () => {
  it('replaces the held record with the completed one (same seq) and says so', () => {
    const history = new CellHistoryModel();
    history.follow(10);
    history.add([record(1, 'a'), record(2, 'b', partial)], false);
    expect(history.awaitingCompletion).toBe('r2');
    expect(history.refetchAfter).toBe(1);
    let changes = 0;
    history.changed.connect(() => changes++);
    // The same record again, still partial: nothing changes.
    history.add([record(2, 'b', partial)], false);
    expect(changes).toBe(0);
    history.add([record(2, 'b', complete)], false);
    expect(changes).toBe(1);
    expect(history.latestFor('b')?.output_cache_complete).toBe(true);
    expect(history.latestFor('b')?.output_cache_delta).toBe(80 * MIB);
    expect(history.entries).toHaveLength(2);
    expect(history.awaitingCompletion).toBeNull();
    expect(history.refetchAfter).toBe(2);
  });

  it('asks again for the record before the newest once, then only for new ones', () => {
    const history = new CellHistoryModel();
    history.follow(10);
    history.add([record(1, 'a', partial)], false);
    history.add([record(2, 'b')], false);
    // Cell 2 started after 1: the kernel stopped completing 1, but it may have
    // finished just before; nothing waits on a timer for it any more.
    expect(history.awaitingCompletion).toBeNull();
    expect(history.refetchAfter).toBe(0);
    history.add([record(3, 'c')], false);
    expect(history.refetchAfter).toBe(3);
  });

  it('asks again for an older cell whose Out[n] the kernel still completes', () => {
    const history = new CellHistoryModel();
    history.follow(10);
    history.add(
      [
        record(1, 'a', { ...partial, execution_count: 1 }),
        record(2, 'b', { execution_count: 2 }),
        record(3, 'c', { execution_count: 3 })
      ],
      false
    );
    // Nothing awaited by the newest record; the reply says Out[1] is incomplete.
    expect(history.awaitingCompletion).toBeNull();
    expect(history.refetchAfter).toBe(3);
    history.setOutPins([
      { execution_count: 1, deep: 5 * MIB, complete: false }
    ]);
    expect(history.awaitingCompletion).toBe('o1');
    expect(history.refetchAfter).toBe(0);
    history.add([record(1, 'a', { ...complete, execution_count: 1 })], false);
    history.setOutPins([
      { execution_count: 1, deep: 80 * MIB, complete: true }
    ]);
    expect(history.latestFor('a')?.output_cache_complete).toBe(true);
    expect(history.awaitingCompletion).toBeNull();
    expect(history.refetchAfter).toBe(3);
  });

  it('does not replace a record of an earlier kernel process', () => {
    const history = new CellHistoryModel();
    history.follow(10);
    history.add([record(1, 'a', partial)], false);
    history.follow(11);
    expect(history.awaitingCompletion).toBeNull();
    expect(history.refetchAfter).toBe(0);
    history.add([record(1, 'z', complete)], false);
    const seqs = history.entries.map(e =>
      e.kind === 'record' ? `${e.pid}:${e.record.cell_id}` : e.kind
    );
    expect(seqs).toEqual(['10:a', 'restart', '11:z']);
    expect(history.latestFor('a')?.output_cache_complete).toBe(false);
  });
});
