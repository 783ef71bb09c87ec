import type { ISessionContext } from '@jupyterlab/apputils';

import { NotebookConnection } from '../../src/connection/connection';
import { FakeKernel, FakeSessionContext, settle } from '../fakeKernel';
import { answering } from '../replies';

/** A connected NotebookConnection and the commands its comm has sent. */
async function connected(): Promise<{
  connection: NotebookConnection;
  sent: (command: string) => number;
}> {
  const kernel = new FakeKernel();
  const base = answering(5);
  kernel.answer = request =>
    request.command === 'variables'
      ? {
          v: 1,
          type: 'reply',
          id: request.id,
          command: 'variables',
          ok: true,
          body: {
            rows: [],
            output_cache: null,
            partial: false,
            stats: {
              elapsed_ms: 1,
              objects: 0,
              walker_peak_bytes: 0,
              capped: false
            }
          }
        }
      : base(request);
  const connection = new NotebookConnection({
    sessionContext: new FakeSessionContext(
      kernel
    ) as unknown as ISessionContext,
    notebookName: 'demo.ipynb',
    loadBootstrapCode: () => Promise.resolve('BOOT'),
    timeoutMs: 1000
  });
  await settle();
  expect(connection.model.state).toBe('connected');
  const sent = (command: string): number =>
    kernel.comms[0].sent.filter(message => message.command === command).length;
  return { connection, sent };
}

describe('NotebookConnection activity (what the sidebar shows)', () => {
  it('reads memory when it becomes active, and not while inactive', async () => {
    const { connection, sent } = await connected();
    expect(connection.isActive).toBe(false);
    expect(sent('snapshot')).toBe(0);
    connection.isActive = true;
    await settle();
    expect(sent('snapshot')).toBe(1);
    connection.isActive = true;
    await settle();
    expect(sent('snapshot')).toBe(1);
    connection.isActive = false;
    connection.isActive = true;
    await settle();
    expect(sent('snapshot')).toBe(2);
    connection.dispose();
  });

  it('after a cell, pulls its record always and reads memory only while active', async () => {
    const { connection, sent } = await connected();
    const cellsAtStart = sent('cells');
    connection.cellRan();
    await settle();
    expect(sent('cells')).toBe(cellsAtStart + 1);
    expect(sent('snapshot')).toBe(0);
    connection.isActive = true;
    await settle();
    connection.cellRan();
    await settle();
    expect(sent('cells')).toBe(cellsAtStart + 2);
    expect(sent('snapshot')).toBe(2);
    connection.dispose();
  });

  it('reads nothing but the record after a cell when refreshAfterCell is off', async () => {
    const { connection, sent } = await connected();
    connection.isActive = true;
    connection.variables.isActive = true;
    await settle();
    expect(sent('snapshot')).toBe(1);
    expect(sent('variables')).toBe(1);
    connection.refreshAfterCell = false;
    const cellsBefore = sent('cells');
    connection.cellRan();
    await settle();
    expect(sent('cells')).toBe(cellsBefore + 1);
    expect(sent('snapshot')).toBe(1);
    expect(sent('variables')).toBe(1);
    connection.dispose();
  });

  it('sizes variables after a cell only while the Variables section shows them', async () => {
    const { connection, sent } = await connected();
    connection.cellRan();
    await settle();
    expect(sent('variables')).toBe(0);
    connection.variables.isActive = true;
    await settle();
    expect(sent('variables')).toBe(1);
    connection.cellRan();
    await settle();
    expect(sent('variables')).toBe(2);
    connection.dispose();
  });
});
