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

describe('the GPU peak reset setting (issue #10)', () => {
  it('is off the wire at its default (the kernel resets)', async () => {
    expect(DEFAULT_SETTINGS.gpuPeakReset).toBe(true);
    const kernel = new FakeKernel();
    kernel.answer = answering(1);
    const connection = connect(kernel);
    await connection.setGpuPeakReset(true);
    await settle();
    expect(configures(kernel)).toEqual([]);
  });

  it('is sent when turned off, and back on when turned on again', async () => {
    const kernel = new FakeKernel();
    kernel.answer = answering(2);
    const connection = connect(kernel);
    void connection.setGpuPeakReset(false);
    await settle();
    expect(configures(kernel)).toEqual([
      { precise: false, gpu_peak_reset: false }
    ]);
    await connection.setGpuPeakReset(true);
    expect(configures(kernel)[1]).toEqual({
      precise: false,
      gpu_peak_reset: true
    });
  });
});
