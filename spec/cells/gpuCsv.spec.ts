import { CellHistoryModel } from '../../src/cells/model';
import { toCsv, toJson } from '../../src/cells/report';
import { parseCellRecord } from '../../src/wire/protocol';
import { cellRecord } from '../replies';

const MIB = 1024 * 1024;

const DEVICE = {
  device: 'cuda:0',
  allocated_before: 0,
  allocated_after: 256 * MIB,
  peak: 512 * MIB,
  peak_exact: false,
  reserved_before: 0,
  reserved_after: 600 * MIB,
  process_before: null,
  process_after: 900 * MIB,
  context_created: true
};

function history(withGpu: boolean): CellHistoryModel {
  const model = new CellHistoryModel();
  model.follow(7);
  model.add(
    [
      parseCellRecord(cellRecord(1, 'a', { execution_count: 1 })),
      parseCellRecord(
        cellRecord(2, 'b', {
          execution_count: 2,
          ...(withGpu ? { gpu: [DEVICE] } : {})
        })
      )
    ],
    false
  );
  return model;
}

describe('GPU readings in the exports (issue #10)', () => {
  it('adds one group of CSV columns per device only when a record has one', () => {
    const lines = toCsv(history(true).entries).trimEnd().split('\r\n');
    const header = lines[0].split(',');
    const at = (name: string) => header.indexOf(name);
    expect(at('gpu_cuda:0_peak')).toBeGreaterThan(at('kernel_exit'));
    expect(header).toContain('gpu_cuda:0_peak_exact');
    expect(header).toContain('gpu_cuda:0_allocated_after');
    const withGpu = lines[2].split(',');
    expect(withGpu).toHaveLength(header.length);
    expect(withGpu[at('gpu_cuda:0_peak')]).toBe(String(512 * MIB));
    expect(withGpu[at('gpu_cuda:0_peak_exact')]).toBe('false');
    expect(withGpu[at('gpu_cuda:0_allocated_after')]).toBe(String(256 * MIB));
    // The cell without a device: blanks, not zeros.
    const without = lines[1].split(',');
    expect(without).toHaveLength(header.length);
    expect(without[at('gpu_cuda:0_peak')]).toBe('');
  });

  it('exports the same columns as before without a GPU', () => {
    const header = toCsv(history(false).entries).split('\r\n')[0];
    expect(header).not.toContain('gpu');
    expect(header.endsWith(',kernel_exit')).toBe(true);
  });

  it('keeps the records’ gpu in the JSON, and none without it', () => {
    const meta = { notebook: 'n.ipynb', exportedAt: 'now' };
    const cells = JSON.parse(toJson(history(true).entries, meta)).cells;
    expect(cells[1].gpu).toEqual([DEVICE]);
    expect('gpu' in cells[0]).toBe(false);
  });
});
