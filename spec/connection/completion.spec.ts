import type { ISessionContext } from '@jupyterlab/apputils';

import { CellHistoryModel } from '../../src/cells/model';
import { NotebookConnection } from '../../src/connection/connection';
import { CompletionWatcher } from '../../src/connection/completion';
import { badgeText } from '../../src/cells/readout';
import { parseCellRecord } from '../../src/wire/protocol';
import { FakeKernel, FakeSessionContext, settle } from '../fakeKernel';
import { answering, cellRecord } from '../replies';

const MIB = 1024 * 1024;
const partial = { output_cache_delta: 5 * MIB, output_cache_complete: false };
const complete = { output_cache_delta: 80 * MIB, output_cache_complete: true };

function wait(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

describe('Late output-cache completion', () => {
  it('asks the kernel again on a timer until the pin is complete; the badge drops ≥', async () => {
    const records = [cellRecord(1, 'a'), cellRecord(2, 'b', partial)];
    const kernel = new FakeKernel();
    kernel.answer = answering(70, 1024, records);
    const connection = new NotebookConnection({
      sessionContext: new FakeSessionContext(
        kernel
      ) as unknown as ISessionContext,
      notebookName: 'demo.ipynb',
      loadBootstrapCode: () => Promise.resolve('BOOT'),
      timeoutMs: 1000
    });
    await settle();
    const latest = () => connection.history.latestFor('b')!;
    expect(badgeText(latest(), 'binary')).toContain('Out pins ≥ +5.0 MiB');
    // The kernel completes the pin in the background: same seq, updated.
    records[1] = cellRecord(2, 'b', complete);
    await wait(700);
    expect(latest().output_cache_complete).toBe(true);
    expect(badgeText(latest(), 'binary')).not.toContain('≥');
    const afters = kernel.comms[0].sent
      .filter(m => m.command === 'cells')
      .map(m => (m.args as { after: number }).after);
    expect(afters).toEqual([0, 1]);
    // Complete: no more requests.
    await wait(1200);
    expect(
      kernel.comms[0].sent.filter(m => m.command === 'cells')
    ).toHaveLength(2);
    connection.dispose();
  });
});

describe('CompletionWatcher', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('backs off 0.5, 1, 2, 4, then 5 s, and gives up after 150 s', async () => {
    const history = new CellHistoryModel();
    history.follow(1);
    history.add([parseCellRecord(cellRecord(1, 'a', partial))], false);
    const start = Date.now(); // jest's fake clock
    const asked: number[] = [];
    const watcher = new CompletionWatcher({
      history,
      pull: () => {
        asked.push(Date.now() - start);
        return Promise.resolve();
      }
    });
    await jest.advanceTimersByTimeAsync(200_000);
    expect(asked.slice(0, 6)).toEqual([500, 1500, 3500, 7500, 12500, 17500]);
    expect(asked[asked.length - 1]).toBeLessThanOrEqual(155_000);
    expect(asked.length).toBeLessThan(40);
    watcher.dispose();
  });

  it('stops when another cell ran (the kernel stopped completing)', async () => {
    const history = new CellHistoryModel();
    history.follow(1);
    history.add([parseCellRecord(cellRecord(1, 'a', partial))], false);
    let asked = 0;
    const watcher = new CompletionWatcher({
      history,
      pull: () => {
        asked++;
        return Promise.resolve();
      }
    });
    history.add([parseCellRecord(cellRecord(2, 'b'))], false);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(asked).toBe(0);
    watcher.dispose();
  });
});
