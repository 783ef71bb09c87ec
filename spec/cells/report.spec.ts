import { CellHistoryModel } from '../../src/cells/model';
import { parseCellRecord } from '../../src/wire/protocol';
import { chartSvg, toCsv, toHtml, toJson } from '../../src/cells/report';
import { cellRecord } from '../replies';

const MIB = 1024 * 1024;

function history(): CellHistoryModel {
  const model = new CellHistoryModel();
  model.follow(41);
  model.add(
    [
      parseCellRecord(
        cellRecord(1, 'a', {
          execution_count: 1,
          preview: 'data = "a, b"  # quote " and comma',
          rss_before: 100 * MIB,
          rss_after: 160 * MIB,
          rss_peak: 300 * MIB
        })
      ),
      parseCellRecord(
        cellRecord(2, 'b', {
          execution_count: 2,
          preview: '<script>alert(1)</script>',
          rss_before: 160 * MIB,
          rss_after: 150 * MIB,
          rss_peak: 160 * MIB,
          success: false
        })
      )
    ],
    false
  );
  model.follow(42);
  return model;
}

const META = {
  notebook: 'dir/demo.ipynb',
  exportedAt: '2026-11-24T10:00:00.000Z'
};

describe('report', () => {
  it('writes CSV with bytes, derived deltas and quoted text', () => {
    const lines = toCsv(history().entries).trimEnd().split('\r\n');
    expect(lines).toHaveLength(3);
    const header = lines[0].split(',');
    expect(header.slice(0, 4)).toEqual([
      'kernel_pid',
      'seq',
      'execution_count',
      'cell_id'
    ]);
    expect(lines[1]).toContain('"data = ""a, b""  # quote "" and comma"');
    const col = (name: string): number => header.indexOf(name);
    const first = lines[1].replace(/"[^"]*(""[^"]*)*"/g, 'Q').split(',');
    expect(first[col('rss_delta')]).toBe(String(60 * MIB));
    expect(first[col('peak_above_start')]).toBe(String(200 * MIB));
    expect(first[col('kernel_pid')]).toBe('41');
  });

  it('writes JSON with the records and where they came from', () => {
    const parsed = JSON.parse(toJson(history().entries, META)) as {
      notebook: string;
      cells: Array<{ kernel_pid: number; seq: number; rss_after: number }>;
    };
    expect(parsed.notebook).toBe('dir/demo.ipynb');
    expect(parsed.cells.map(c => [c.kernel_pid, c.seq])).toEqual([
      [41, 1],
      [41, 2]
    ]);
    expect(parsed.cells[0].rss_after).toBe(160 * MIB);
  });

  it('writes a self-contained HTML page that escapes cell text', () => {
    const html = toHtml(history().entries, META, 'binary');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('+60.0 MiB');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  });

  it('draws one bar per cell, up for growth and down for shrinkage', () => {
    const svg = chartSvg(history().entries, 'binary');
    expect(svg.match(/<rect /g)).toHaveLength(2);
    expect(svg).toContain('fill="#d9534f"');
    expect(svg).toContain('fill="#5cb85c"');
    expect(chartSvg([], 'binary')).toBe('');
  });
});
