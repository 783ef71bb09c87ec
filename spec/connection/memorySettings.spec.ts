import type { ISessionContext } from '@jupyterlab/apputils';

import { NotebookConnection } from '../../src/connection/connection';
import { DEFAULT_SETTINGS } from '../../src/common/settings';
import { FakeKernel, FakeSessionContext, settle } from '../fakeKernel';
import { answering } from '../replies';

function connect(kernel: FakeKernel): NotebookConnection {
  return new NotebookConnection({
    sessionContext: new FakeSessionContext(
      kernel
    ) as unknown as ISessionContext,
    notebookName: 'demo.ipynb',
    loadBootstrapCode: () => Promise.resolve('BOOT'),
    timeoutMs: 1000
  });
}

function configures(kernel: FakeKernel): unknown[] {
  return kernel.comms
    .flatMap(comm => comm.sent)
    .filter(data => (data as { command?: string }).command === 'configure')
    .map(data => (data as { args: unknown }).args);
}

describe('the peak reset and the memory guard settings', () => {
  it('are off the wire while at their defaults (exact peak, no guard)', async () => {
    expect(DEFAULT_SETTINGS.exactPeak).toBe(true);
    expect(DEFAULT_SETTINGS.guardShare).toBe(0);
    const kernel = new FakeKernel();
    kernel.answer = answering(1);
    const connection = connect(kernel);
    await connection.setMemorySettings(true, 0);
    await settle();
    expect(configures(kernel)).toEqual([]);
  });

  it('are sent at connect and again when they change', async () => {
    const kernel = new FakeKernel();
    kernel.answer = answering(2);
    const connection = connect(kernel);
    void connection.setMemorySettings(false, 0.9);
    await settle();
    expect(configures(kernel)).toEqual([
      { precise: false, peak_reset: false, guard_share: 0.9 }
    ]);
    await connection.setMemorySettings(true, 0);
    expect(configures(kernel)[1]).toEqual({
      precise: false,
      peak_reset: true,
      guard_share: null
    });
  });
});
