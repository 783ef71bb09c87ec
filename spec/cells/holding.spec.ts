import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { holdingNow } from '../../src/cells/holding';
import { partsText, totalText } from '../../src/cells/holdingView';
import { CellHistoryModel } from '../../src/cells/model';
import { CellsSection } from '../../src/cells/section';
import { SettingsModel } from '../../src/common/settings';
import { VariablesFetcher } from '../../src/variables/fetcher';
import {
  parseCellRecord,
  type IOutPin,
  type IVariableRow
} from '../../src/wire/protocol';
import { cellRecord } from '../replies';

const MIB = 1024 * 1024;

function record(
  seq: number,
  bound: string[] | null,
  overrides: Record<string, unknown> = {}
) {
  return parseCellRecord(
    cellRecord(seq, `c${seq}`, {
      execution_count: seq,
      preview: `cell ${seq}`,
      bound,
      ...overrides
    })
  );
}

function row(
  name: string,
  retained: number,
  overrides: Partial<IVariableRow> = {}
): IVariableRow {
  return {
    name,
    type: 'bytearray',
    shape: null,
    getsizeof: retained,
    deep: retained,
    retained,
    partial: false,
    flags: [],
    expandable: false,
    ...overrides
  };
}

function history(...records: ReturnType<typeof record>[]): CellHistoryModel {
  const model = new CellHistoryModel();
  model.follow(1);
  model.add(records, false);
  return model;
}

describe('holdingNow', () => {
  it('gives each live name to the latest cell that bound it (cell 1 a, b; cell 2 b; del a)', () => {
    const model = history(
      record(1, ['a', 'b']),
      record(2, ['b']),
      record(3, [])
    );
    // After `del a`, the Variables rows have only b.
    const cells = holdingNow(
      model.entries,
      { rows: [row('b', 20 * MIB)], outputCache: null },
      []
    );
    expect(cells.map(c => c.record.execution_count)).toEqual([2]);
    expect(cells[0].names).toEqual([
      { name: 'b', retained: 20 * MIB, shared: 0, approx: false }
    ]);
    expect(cells[0].bytes).toBe(20 * MIB);
  });

  it('sorts cells by bytes held, adds Out[n] pins and caps them by what Out retains', () => {
    const model = history(
      record(1, ['small']),
      record(2, ['df', 'tmp']),
      record(3, null) // a namespace too big to compare: owns no names
    );
    const pins: IOutPin[] = [
      { execution_count: 1, deep: 50 * MIB, complete: true },
      { execution_count: 3, deep: 30 * MIB, complete: false }
    ];
    const rows = [
      row('df', 100 * MIB, { partial: true, flags: ['budget'] }),
      row('tmp', 1 * MIB),
      row('small', 2 * MIB)
    ];
    // Out retains 60 MiB alone, less than the pins' 80 MiB: some is shared.
    const cells = holdingNow(
      model.entries,
      { rows, outputCache: row('Out', 60 * MIB) },
      pins
    );
    expect(cells.map(c => c.record.execution_count)).toEqual([2, 1, 3]);
    expect(cells[0].names.map(n => n.name)).toEqual(['df', 'tmp']);
    expect(partsText(cells[0], 'binary')).toBe('df ≈ 100.0 MiB · tmp 1.0 MiB');
    expect(totalText(cells[0], 'binary')).toBe('≈ 101.0 MiB');
    expect(cells[1].pin).toEqual({
      executionCount: 1,
      deep: 50 * MIB,
      bytes: 50 * MIB,
      upperBound: true,
      lowerBound: false
    });
    expect(partsText(cells[1], 'binary')).toBe(
      'small 2.0 MiB · Out[1] ≤ 50.0 MiB'
    );
    expect(partsText(cells[2], 'binary')).toBe('Out[3] ≥ 30.0 MiB');
    expect(totalText(cells[2], 'binary')).toBe('≥ 30.0 MiB');
  });

  it('shows a pin exactly when Out retains all the pins, and only the newest process', () => {
    const model = new CellHistoryModel();
    model.follow(1);
    model.add([record(1, ['old'])], false);
    model.follow(2);
    model.add([record(1, ['x'])], false);
    const cells = holdingNow(
      model.entries,
      {
        rows: [row('old', 9 * MIB), row('x', MIB)],
        outputCache: row('Out', 10 * MIB)
      },
      [{ execution_count: 1, deep: 10 * MIB, complete: true }]
    );
    expect(cells).toHaveLength(1);
    expect(cells[0].names.map(n => n.name)).toEqual(['x']);
    expect(partsText(cells[0], 'binary')).toBe('x 1.0 MiB · Out[1] 10.0 MiB');
  });
});

describe('holdingNow and what a cell’s own holders share', () => {
  it('counts what a name shares with its own cell’s Out[n] and other names once, for the cell', () => {
    // Cell 4: `log = LogFile(path); log` — log and Out[4] share 190 MiB of
    // lines; neither retains them alone. Cell 5 binds x and y sharing 8 MiB
    // with each other, and z that shares 3 MiB with cell 4's log.
    const model = history(record(4, ['log']), record(5, ['x', 'y', 'z']));
    const rows = [
      row('log', MIB, { shared_with: [{ name: 'Out', bytes: 190 * MIB }] }),
      row('x', 2 * MIB, { shared_with: [{ name: 'y', bytes: 8 * MIB }] }),
      row('y', 2 * MIB, { shared_with: [{ name: 'x', bytes: 8 * MIB }] }),
      row('z', MIB, { shared_with: [{ name: 'log', bytes: 3 * MIB }] })
    ];
    const cells = holdingNow(
      model.entries,
      { rows, outputCache: row('Out', 0) },
      [{ execution_count: 4, deep: 191 * MIB, complete: true }]
    );
    expect(cells.map(c => c.record.execution_count)).toEqual([4, 5]);
    expect(partsText(cells[0], 'binary')).toBe(
      'log ≈ 191.0 MiB · Out[4] shared'
    );
    expect(cells[0].bytes).toBe(191 * MIB);
    // x and y share 8 MiB: counted once; z's part with log is log's cell's.
    expect(cells[1].bytes).toBe(2 * MIB + 2 * MIB + 8 * MIB + MIB);
    expect(partsText(cells[1], 'binary')).toBe(
      'x ≈ 10.0 MiB · y 2.0 MiB · z 1.0 MiB'
    );
  });
});

describe('holdingNow after a variable lets go of a pinned result', () => {
  it('does not cap Out[n] by an Out row whose retained size is approximate', () => {
    // `log = None` in cell 6: Out[4] alone keeps the lines, but the walk after
    // the cell was cut and the Out row kept its retained size from when `log`
    // shared everything (0, flagged retained_stale).
    const model = history(
      record(2, ['f']),
      record(4, ['log']),
      record(6, ['log'])
    );
    const cells = holdingNow(
      model.entries,
      {
        rows: [row('f', 1024)],
        outputCache: row('Out', 0, { flags: ['retained_stale'] })
      },
      [{ execution_count: 4, deep: 190 * MIB, complete: true }]
    );
    expect(cells.map(c => c.record.execution_count)).toEqual([4, 2]);
    expect(cells[0].pin?.bytes).toBe(190 * MIB);
    expect(cells[0].pin?.upperBound).toBe(true);
    // An exact Out row still caps it.
    const exact = holdingNow(
      model.entries,
      { rows: [row('f', 1024)], outputCache: row('Out', 10 * MIB) },
      [{ execution_count: 4, deep: 190 * MIB, complete: true }]
    );
    expect(exact[0].pin?.bytes).toBe(10 * MIB);
  });
});

describe('CellsSection Holding now', () => {
  it('sizes the variables, lists the holding cells and selects one on click', () => {
    const selected: string[] = [];
    const section = new CellsSection({
      settings: new SettingsModel(),
      onSelect: id => selected.push(id)
    });
    Widget.attach(section, document.body);
    const model = history(record(1, ['a', 'b']), record(2, ['b']));
    const fetcher = new VariablesFetcher({
      session: () => null,
      budgetMs: 100
    });
    const refresh = jest.spyOn(fetcher, 'refresh');
    section.model = model;
    section.variables = fetcher;
    MessageLoop.flush();
    const holding = section.node.querySelector<HTMLButtonElement>(
      '.jp-MemlensCells-holding'
    )!;
    expect(holding.textContent).toBe('Holding now');
    holding.click();
    MessageLoop.flush();
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(section.node.textContent).toContain('Sizing the variables');
    fetcher.model.update({
      body: {
        rows: [row('b', 20 * MIB), row('a', 5 * MIB)],
        output_cache: null,
        partial: false,
        stats: {
          elapsed_ms: 10,
          objects: 2,
          walker_peak_bytes: 0,
          capped: false
        }
      },
      loading: false,
      error: ''
    });
    MessageLoop.flush();
    const items = [...section.node.querySelectorAll('.jp-MemlensHolding-cell')];
    expect(items.map(item => item.textContent)).toEqual([
      '[2]cell 220.0 MiBb 20.0 MiB',
      '[1]cell 15.0 MiBa 5.0 MiB'
    ]);
    (items[1] as HTMLElement).click();
    expect(selected).toEqual(['c1']);
    // No cell ran since: not sized again.
    expect(refresh).toHaveBeenCalledTimes(1);
    section.node
      .querySelector<HTMLButtonElement>('.jp-MemlensCells-holding')!
      .click();
    MessageLoop.flush();
    expect(section.node.querySelector('table')).not.toBeNull();
    Widget.detach(section);
    section.dispose();
    fetcher.dispose();
  });
});
