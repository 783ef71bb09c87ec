import type { ISessionContext } from '@jupyterlab/apputils';
import { NotebookConnection } from '../../src/connection/connection';
import { exitBadgeText, exitSentence, ofLimit } from '../../src/cells/exit';
import type { ILastExit } from '../../src/wire/protocol';
import { FakeKernel, FakeSessionContext, settle } from '../fakeKernel';
import { answering, cellRecord, exampleBody } from '../replies';

const OOM = (
  exampleBody<unknown>('last_exit reply after an OOM kill') as {
    report: ILastExit;
  }
).report;

/** A kernel that also answers last_exit (with `report`) and variables. */
function kernelWith(
  pid: number,
  report: ILastExit | null,
  records: Record<string, unknown>[] = []
): FakeKernel {
  const kernel = new FakeKernel();
  const base = answering(pid, 1024, records);
  kernel.answer = request => {
    const reply = { v: 1, type: 'reply', id: request.id, ok: true };
    if (request.command === 'last_exit') {
      return { ...reply, command: 'last_exit', body: { report } };
    }
    if (request.command === 'variables') {
      return {
        ...reply,
        command: 'variables',
        body: exampleBody<unknown>('variables reply')
      };
    }
    return base(request);
  };
  return kernel;
}

function connect(context: FakeSessionContext): NotebookConnection {
  return new NotebookConnection({
    sessionContext: context as unknown as ISessionContext,
    notebookName: 'demo.ipynb',
    loadBootstrapCode: () => Promise.resolve('BOOT'),
    timeoutMs: 1000
  });
}

function commands(kernel: FakeKernel): unknown[] {
  return kernel.comms.flatMap(comm =>
    comm.sent.map(data => (data as { command?: string }).command)
  );
}

describe('how the previous kernel ended', () => {
  it('marks the cell that ran when the kernel was killed, and tells once', async () => {
    const kernel = kernelWith(7, OOM);
    const connection = connect(new FakeSessionContext(kernel));
    const told: ILastExit[] = [];
    connection.exitReported.connect((_, report) => told.push(report));
    await settle();
    expect(connection.model.state).toBe('connected');
    expect(told).toEqual([OOM]);
    expect(connection.history.exitFor('c-9')).toEqual(OOM);
    expect(connection.history.entries.map(e => e.kind)).toEqual(['exit']);
    // A reconnect to the same kernel reports the same death again: kept once.
    connection.reconnect();
    await settle();
    expect(
      connection.history.entries.filter(e => e.kind === 'exit')
    ).toHaveLength(1);
  });

  it('drops the mark once the cell has run again', async () => {
    const kernel = kernelWith(8, OOM, [cellRecord(1, 'c-9')]);
    const connection = connect(new FakeSessionContext(kernel));
    await settle();
    expect(connection.history.exitFor('c-9')).toBeNull();
    expect(connection.history.latestFor('c-9')?.seq).toBe(1);
  });

  it('says nothing after a clean restart', async () => {
    const kernel = kernelWith(9, null);
    const connection = connect(new FakeSessionContext(kernel));
    const told: ILastExit[] = [];
    connection.exitReported.connect((_, report) => told.push(report));
    await settle();
    expect(told).toEqual([]);
    expect(connection.history.entries).toEqual([]);
  });

  it('words the cause, the cell and the readings against the limit', () => {
    expect(ofLimit(2.5 * 2 ** 30, 4 * 2 ** 30)).toBe('2.5 of 4.0 GiB');
    expect(ofLimit(null, null)).toBe('—');
    expect(exitBadgeText(OOM, 'binary')).toBe(
      '✖ kernel killed for lack of memory · RSS 284.8 of 320.0 MiB'
    );
    const sentence = exitSentence(OOM);
    expect(sentence).toContain('while cell [9] ran (blocks = [])');
    expect(sentence).toContain('oom_kill counter rose from 0 to 1');
    expect(
      exitBadgeText(
        { ...OOM, cause: 'crashed', signal: 'Segmentation fault' },
        'binary'
      )
    ).toContain('crashed (Segmentation fault)');
  });
});

describe('the Variables section after a death or a page load', () => {
  it('asks for sizes once connected when it became visible before', async () => {
    const kernel = kernelWith(10, null);
    const context = new FakeSessionContext(kernel);
    const connection = connect(context);
    connection.variables.isActive = true; // The sidebar was open at page load.
    await settle();
    expect(connection.model.state).toBe('connected');
    expect(commands(kernel)).toContain('variables');
    expect(connection.variables.model.body).not.toBeNull();
  });

  it('sizes the new kernel after the old one died', async () => {
    const kernel = kernelWith(11, null);
    const context = new FakeSessionContext(kernel);
    const connection = connect(context);
    connection.variables.isActive = true;
    await settle();
    context.setStatus('dead');
    const replacement = kernelWith(12, OOM);
    kernel.answer = replacement.answer;
    context.setStatus('restarting');
    context.setStatus('idle');
    await settle();
    expect(connection.model.info?.pid).toBe(12);
    expect(connection.variables.model.body).not.toBeNull();
    expect(connection.variables.model.loading).toBe(false);
    expect(connection.history.exitFor('c-9')?.cause).toBe('oom_kill');
  });
});
