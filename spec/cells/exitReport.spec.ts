import { CellHistoryModel } from '../../src/cells/model';
import { toCsv, toHtml, toJson } from '../../src/cells/report';
import { parseCellRecord, type ILastExit } from '../../src/wire/protocol';
import { cellRecord } from '../replies';

const MIB = 1024 * 1024;

const OOM: ILastExit = {
  cause: 'oom_kill',
  signal: null,
  running: true,
  cell_id: 'b',
  execution_count: 2,
  preview: 'blocks = []',
  rss_last: 300 * MIB,
  rss_peak: 310 * MIB,
  limit: 320 * MIB,
  limit_source: 'cgroup v1',
  pid: 41,
  updated: 1767225610,
  evidence: ['oom_kill counter rose from 0 to 1']
};

/** Kernel 41 ran cell a, died running cell b (seen at once), kernel 42 said why. */
function history(withCause: boolean): CellHistoryModel {
  const model = new CellHistoryModel();
  model.follow(41);
  model.add([parseCellRecord(cellRecord(1, 'a'))], false);
  model.markDeath('b', 2);
  model.follow(42);
  if (withCause) {
    model.addExit(OOM);
  }
  return model;
}

describe('kernel ends in the exported report', () => {
  it('are CSV rows of their own, saying how the kernel ended', () => {
    const lines = toCsv(history(true).entries).trimEnd().split('\r\n');
    const header = lines[0].split(',');
    expect(header[header.length - 1]).toBe('kernel_exit');
    expect(lines).toHaveLength(3);
    const exit = lines[2].split(',');
    expect(exit[header.indexOf('kernel_pid')]).toBe('41');
    expect(exit[header.indexOf('cell_id')]).toBe('b');
    expect(exit[header.indexOf('rss_after')]).toBe(String(300 * MIB));
    expect(exit[header.indexOf('kernel_exit')]).toBe('oom_kill');
    expect(lines[1].split(',')[header.indexOf('kernel_exit')]).toBe('');
  });

  it('say "died" while the cause is not known yet', () => {
    const lines = toCsv(history(false).entries).trimEnd().split('\r\n');
    const header = lines[0].split(',');
    expect(lines[2].split(',')[header.indexOf('kernel_exit')]).toBe('died');
  });

  it('are listed in JSON and drawn as sentences in HTML', () => {
    const meta = { notebook: 'n.ipynb', exportedAt: '2026-01-01T00:00:00Z' };
    const parsed = JSON.parse(toJson(history(true).entries, meta)) as {
      kernel_exits: Array<{ kernel_pid: number; cause: string }>;
    };
    expect(parsed.kernel_exits).toEqual([
      expect.objectContaining({ kernel_pid: 41, cause: 'oom_kill' })
    ]);
    const html = toHtml(history(true).entries, meta, 'binary');
    expect(html).toMatch(
      /<tr class="exit"><td>41<\/td><td colspan="9">The previous kernel was killed for lack of memory while cell \[2\] ran/
    );
    expect(toHtml(history(false).entries, meta, 'binary')).toContain(
      'The kernel died while cell [2] ran'
    );
  });
});
