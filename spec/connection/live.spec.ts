import type { ISessionContext } from '@jupyterlab/apputils';

import { NotebookConnection } from '../../src/connection/connection';
import {
  deathBadgeText,
  deathSentence,
  liveBadgeText
} from '../../src/cells/exit';
import { toCsv } from '../../src/cells/report';
import {
  parseCellRecord,
  type ILastExit,
  type ILiveBody
} from '../../src/wire/protocol';
import { FakeKernel, FakeSessionContext, settle } from '../fakeKernel';
import { answering, cellRecord } from '../replies';

const GiB = 2 ** 30;

function reading(rss: number, cellId = 'c-7'): ILiveBody {
  return {
    running: true,
    cell_id: cellId,
    execution_count: 7,
    started: 1767225600,
    time: 1767225600 + rss / GiB,
    rss,
    rss_peak: rss,
    limit: 4 * GiB,
    limit_source: 'cgroup v2',
    charged: rss + GiB / 4
  };
}

function killed(pid: number, cellId: string): ILastExit {
  return {
    cause: 'killed',
    signal: null,
    running: true,
    cell_id: cellId,
    execution_count: 7,
    preview: 'grow()',
    rss_last: 3 * GiB,
    rss_peak: 3 * GiB,
    limit: 4 * GiB,
    limit_source: 'cgroup v2',
    pid,
    updated: 1767225610,
    evidence: ['the process vanished without a clean end']
  };
}

/** A kernel whose `configure` replies echo `live`, and that answers last_exit. */
function kernelWith(pid: number, report: ILastExit | null = null): FakeKernel {
  const kernel = new FakeKernel();
  const base = answering(pid, GiB);
  kernel.answer = request => {
    const reply = { v: 1, type: 'reply', id: request.id, ok: true };
    const args = request.args as Record<string, unknown>;
    if (request.command === 'configure') {
      return { ...reply, command: 'configure', body: { ...args } };
    }
    if (request.command === 'last_exit') {
      return { ...reply, command: 'last_exit', body: { report } };
    }
    return base(request);
  };
  return kernel;
}

function connect(
  context: FakeSessionContext,
  runningCell: NotebookConnection.IRunningCell | null = null
): NotebookConnection {
  return new NotebookConnection({
    sessionContext: context as unknown as ISessionContext,
    notebookName: 'demo.ipynb',
    loadBootstrapCode: () => Promise.resolve('BOOT'),
    timeoutMs: 1000,
    runningCell: () => runningCell
  });
}

function push(kernel: FakeKernel, body: ILiveBody): void {
  kernel.comms[kernel.comms.length - 1].deliver({
    v: 1,
    type: 'event',
    event: 'live',
    body
  });
}

function configures(kernel: FakeKernel): unknown[] {
  return kernel.comms
    .flatMap(comm => comm.sent)
    .filter(data => data.command === 'configure')
    .map(data => data.args);
}

describe('live readings while a cell runs', () => {
  it('asks for them only while something shows them, at connect and on change', async () => {
    const kernel = kernelWith(5);
    const connection = connect(new FakeSessionContext(kernel));
    await settle();
    expect(configures(kernel)).toEqual([]);
    await connection.setLiveWanted(true);
    await connection.setLiveWanted(true);
    await connection.setLiveWanted(false);
    expect(configures(kernel)).toEqual([
      { precise: false, live: true },
      { precise: false, live: false }
    ]);
    await connection.setLiveWanted(true);
    connection.reconnect();
    await settle();
    expect(configures(kernel).slice(-1)).toEqual([
      { precise: false, live: true }
    ]);
  });

  it('puts each pushed reading in the kernel model and the history, until the cell ends', async () => {
    const kernel = kernelWith(5);
    const context = new FakeSessionContext(kernel);
    const connection = connect(context);
    await settle();
    context.setStatus('busy');
    push(kernel, reading(GiB));
    push(kernel, reading(2 * GiB));
    expect(connection.model.live?.rss).toBe(2 * GiB);
    expect(connection.history.running?.cell_id).toBe('c-7');
    // A malformed event changes nothing and breaks nothing.
    push(kernel, { ...reading(3 * GiB), rss: -1 });
    expect(connection.model.live?.rss).toBe(2 * GiB);
    // The cell's record replaces the reading in the history; idle clears both.
    connection.history.add([parseCellRecord(cellRecord(1, 'c-7'))], false);
    expect(connection.history.running).toBeNull();
    context.setStatus('idle');
    expect(connection.model.live).toBeNull();
  });

  it('words the running badge against the limit', () => {
    expect(liveBadgeText(reading(2.5 * GiB), 'binary')).toBe(
      '⏵ running · RSS 2.5 of 4.0 GiB · peak ≥ 2.5 GiB'
    );
  });
});

describe('the cell that ran when the kernel died', () => {
  it('is marked the moment the kernel dies, with its last reading, then the cause replaces the mark', async () => {
    const kernel = kernelWith(5);
    const context = new FakeSessionContext(kernel);
    const connection = connect(context);
    await settle();
    context.setStatus('busy');
    push(kernel, reading(3 * GiB));
    context.setStatus('autorestarting');
    const death = connection.history.deathFor('c-7');
    expect(death?.reading?.rss).toBe(3 * GiB);
    expect(death?.pid).toBe(5);
    expect(connection.history.running).toBeNull();
    expect(connection.model.live).toBeNull();
    expect(deathBadgeText(death!, 'binary')).toBe(
      '✖ the kernel died while this cell ran · last RSS 3.0 of 4.0 GiB'
    );
    expect(deathSentence(death!)).toContain('cell [7]');
    expect(connection.history.entries.map(e => e.kind)).toEqual(['died']);
    // The server's restart: the new kernel says why the old one ended.
    kernel.answer = kernelWith(6, killed(5, 'c-7')).answer;
    context.setStatus('restarting');
    context.setStatus('idle');
    await settle();
    expect(connection.model.info?.pid).toBe(6);
    expect(connection.history.deathFor('c-7')).toBeNull();
    expect(connection.history.exitFor('c-7')?.cause).toBe('killed');
    expect(connection.history.entries.map(e => e.kind)).toEqual([
      'exit',
      'restart'
    ]);
  });

  it('is the notebook running cell when no reading named one, marked once per death', async () => {
    const kernel = kernelWith(5);
    const context = new FakeSessionContext(kernel);
    const connection = connect(context, { id: 'c-3', executionCount: null });
    await settle();
    context.setStatus('busy');
    context.setStatus('dead');
    context.setStatus('autorestarting');
    expect(connection.history.deathFor('c-3')?.reading).toBeNull();
    expect(
      connection.history.entries.filter(e => e.kind === 'died')
    ).toHaveLength(1);
    expect(toCsv(connection.history.entries)).toContain('died');
  });

  it('is not marked by a restart the user asked for', async () => {
    const kernel = kernelWith(5);
    const context = new FakeSessionContext(kernel);
    const connection = connect(context, { id: 'c-3', executionCount: 3 });
    await settle();
    context.setStatus('busy');
    context.setStatus('restarting');
    expect(connection.history.deathFor('c-3')).toBeNull();
    expect(connection.history.entries).toEqual([]);
  });
});
