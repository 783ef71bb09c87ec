import type { ISessionContext } from '@jupyterlab/apputils';

import {
  explainFailure,
  NotebookConnection
} from '../../src/connection/connection';
import { FakeKernel, FakeSessionContext, settle } from '../fakeKernel';
import { answering, cellRecord } from '../replies';

function connect(context: FakeSessionContext): NotebookConnection {
  return new NotebookConnection({
    sessionContext: context as unknown as ISessionContext,
    notebookName: 'demo.ipynb',
    loadBootstrapCode: () => Promise.resolve('BOOT'),
    timeoutMs: 1000
  });
}

function pythonKernel(pid: number): FakeKernel {
  const kernel = new FakeKernel();
  kernel.answer = answering(pid);
  return kernel;
}

describe('NotebookConnection', () => {
  it('connects to a Python kernel and shows what hello said', async () => {
    const connection = connect(new FakeSessionContext(pythonKernel(11)));
    expect(connection.model.state).toBe('connecting');
    await settle();
    expect(connection.model.state).toBe('connected');
    expect(connection.model.info?.pid).toBe(11);
    expect(connection.model.snapshot?.rss).toBe(104857600);
    expect(connection.model.notebookName).toBe('demo.ipynb');
  });

  it('says there is no kernel, then connects when one is chosen', async () => {
    const context = new FakeSessionContext(null);
    context.hasNoKernel = true;
    const connection = connect(context);
    await settle();
    expect(connection.model.state).toBe('no-kernel');
    context.setKernel(pythonKernel(12));
    await settle();
    expect(connection.model.state).toBe('connected');
    expect(connection.model.info?.pid).toBe(12);
  });

  it('refuses kernels of other languages without running code in them', async () => {
    const kernel = pythonKernel(1);
    kernel.language = 'R';
    const connection = connect(new FakeSessionContext(kernel));
    await settle();
    expect(connection.model.state).toBe('unsupported');
    expect(connection.model.message).toContain('IPython kernel');
    expect(kernel.executes).toHaveLength(0);
  });

  it('says what is missing when a Python kernel that is not ipykernel never answers', async () => {
    const kernel = new FakeKernel();
    kernel.implementation = 'xeus-python';
    kernel.implementationVersion = '0.19.0';
    kernel.evaluate = () => ({
      status: 'ok',
      data: { 'text/plain': 'True' },
      metadata: {}
    });
    const connection = new NotebookConnection({
      sessionContext: new FakeSessionContext(
        kernel
      ) as unknown as ISessionContext,
      notebookName: 'x.ipynb',
      loadBootstrapCode: () => Promise.resolve('BOOT'),
      timeoutMs: 50
    });
    await settle();
    await new Promise(resolve => setTimeout(resolve, 120));
    await settle();
    expect(connection.model.state).toBe('error');
    expect(connection.model.message).toContain(
      "the kernel did not answer 'hello'"
    );
    expect(connection.model.message).toContain(
      'This Python kernel (xeus-python 0.19.0) is not ipykernel'
    );
    expect(connection.model.message).toContain('comms opened by the frontend');
  });

  it('keeps an ipykernel time-out as it is', () => {
    expect(
      explainFailure("the kernel did not answer 'hello'", 'ipython 9.0.0')
    ).toBe("the kernel did not answer 'hello'");
    expect(explainFailure('bootstrap failed', 'xeus-python 0.19.0')).toBe(
      'bootstrap failed'
    );
  });

  it('drops the session on restart and reconnects with the new process', async () => {
    const kernel = pythonKernel(21);
    const context = new FakeSessionContext(kernel);
    const connection = connect(context);
    await settle();
    expect(connection.model.info?.pid).toBe(21);
    context.setStatus('restarting');
    expect(connection.model.state).toBe('connecting');
    expect(connection.model.info).toBeNull();
    expect(kernel.comms[0].closed).toBe(true);
    kernel.answer = answering(22);
    context.setStatus('idle');
    await settle();
    expect(connection.model.state).toBe('connected');
    expect(connection.model.info?.pid).toBe(22);
    // Each start probes for the installed package, then sends the bundle.
    expect(kernel.executes.map(call => call.code)).toEqual([
      '',
      'BOOT',
      '',
      'BOOT'
    ]);
  });

  it('shows a dead kernel, and recovers when it comes back', async () => {
    const kernel = pythonKernel(31);
    const context = new FakeSessionContext(kernel);
    const connection = connect(context);
    await settle();
    context.setStatus('dead');
    expect(connection.model.state).toBe('dead');
    kernel.answer = answering(32);
    context.setStatus('restarting');
    context.setStatus('idle');
    await settle();
    expect(connection.model.info?.pid).toBe(32);
  });

  it('ignores a bootstrap that finishes after the kernel changed', async () => {
    const slow = pythonKernel(41);
    let release: () => void = () => undefined;
    slow.holdExecute = new Promise<void>(resolve => (release = resolve));
    const context = new FakeSessionContext(slow);
    const connection = connect(context);
    await settle();
    context.setKernel(pythonKernel(42));
    await settle();
    release();
    await settle();
    expect(connection.model.state).toBe('connected');
    expect(connection.model.info?.pid).toBe(42);
  });

  it('shows a bootstrap error and retries on request', async () => {
    const kernel = pythonKernel(51);
    kernel.executeReply = {
      status: 'error',
      ename: 'ImportError',
      evalue: 'nope'
    };
    const context = new FakeSessionContext(kernel);
    const connection = connect(context);
    await settle();
    expect(connection.model.state).toBe('error');
    expect(connection.model.message).toContain('ImportError: nope');
    // A status change alone does not retry a kernel that failed...
    context.setStatus('busy');
    context.setStatus('idle');
    await settle();
    expect(kernel.executes).toHaveLength(1);
    // ...the user's retry does.
    kernel.executeReply = { status: 'ok', execution_count: 0 };
    connection.reconnect();
    await settle();
    expect(connection.model.state).toBe('connected');
  });

  it('reopens a comm the kernel closed', async () => {
    const kernel = pythonKernel(61);
    const connection = connect(new FakeSessionContext(kernel));
    await settle();
    kernel.comms[0].onClose({});
    await settle();
    expect(connection.model.state).toBe('connected');
    expect(kernel.comms).toHaveLength(2);
  });

  it('merges overlapping refreshes into at most one more request', async () => {
    const kernel = pythonKernel(71);
    const connection = connect(new FakeSessionContext(kernel));
    await settle();
    kernel.answer = answering(71, 5000);
    const comm = kernel.comms[0];
    const before = comm.sent.length;
    await Promise.all([
      connection.refresh(),
      connection.refresh(),
      connection.refresh(),
      connection.refresh()
    ]);
    expect(comm.sent.length - before).toBe(2);
    expect(connection.model.snapshot?.rss).toBe(5000);
  });

  it('closes its session when disposed', async () => {
    const kernel = pythonKernel(81);
    const connection = connect(new FakeSessionContext(kernel));
    await settle();
    connection.dispose();
    expect(kernel.comms[0].closed).toBe(true);
    expect(connection.isDisposed).toBe(true);
  });

  it('hands the variables settings to its fetcher', () => {
    const context = new FakeSessionContext(null);
    context.hasNoKernel = true;
    const options = {
      sessionContext: context as unknown as ISessionContext,
      notebookName: 'demo.ipynb',
      loadBootstrapCode: () => Promise.resolve('BOOT'),
      timeoutMs: 1000
    };
    const plain = new NotebookConnection(options);
    expect(plain.variables.budgetMs).toBe(300);
    expect(plain.variables.memoryCapMiB).toBe(0);
    const capped = new NotebookConnection({
      ...options,
      variablesBudgetMs: 500,
      variablesMemoryCapMiB: 256
    });
    expect(capped.variables.budgetMs).toBe(500);
    expect(capped.variables.memoryCapMiB).toBe(256);
    plain.dispose();
    capped.dispose();
  });
});

describe('NotebookConnection cell history', () => {
  it('fetches the kernel history on connect and new records after each pull', async () => {
    const records = [cellRecord(1, 'a'), cellRecord(2, 'b')];
    const kernel = new FakeKernel();
    kernel.answer = answering(90, 1024, records);
    const connection = connect(new FakeSessionContext(kernel));
    await settle();
    expect(connection.history.entries).toHaveLength(2);
    records.push(cellRecord(3, 'a'));
    await connection.pullCells();
    expect(connection.history.latestFor('a')?.seq).toBe(3);
    const cellsRequests = kernel.comms[0].sent.filter(
      m => m.command === 'cells'
    );
    expect(cellsRequests.map(m => (m.args as { after: number }).after)).toEqual(
      [0, 2]
    );
  });

  it('starts a new history, marked, when the kernel restarts', async () => {
    const kernel = new FakeKernel();
    kernel.answer = answering(91, 1024, [cellRecord(1, 'a')]);
    const context = new FakeSessionContext(kernel);
    const connection = connect(context);
    await settle();
    context.setStatus('restarting');
    kernel.answer = answering(92, 1024, [cellRecord(1, 'b')]);
    context.setStatus('idle');
    await settle();
    expect(connection.history.entries.map(e => e.kind)).toEqual([
      'record',
      'restart',
      'record'
    ]);
    expect(connection.history.pid).toBe(92);
  });

  it('turns precise mode on in the kernel when asked', async () => {
    const kernel = new FakeKernel();
    kernel.answer = answering(93);
    const connection = connect(new FakeSessionContext(kernel));
    await settle();
    await connection.setPrecise(true);
    await connection.pullCells();
    const configure = kernel.comms[0].sent.filter(
      m => m.command === 'configure'
    );
    expect(configure.map(m => m.args)).toEqual([{ precise: true }]);
    expect(connection.history.precise).toBe(true);
  });
});
