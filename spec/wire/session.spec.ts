import {
  PROBE_EXPRESSION,
  PROBE_KEY,
  loadBootstrapCode
} from '../../src/wire/bootstrap';
import { ProtocolError } from '../../src/wire/protocol';
import {
  BootstrapError,
  MemlensSession,
  RequestError
} from '../../src/wire/session';
import { FakeKernel, settle } from '../fakeKernel';
import { answering, snapshotBody } from '../replies';

function sessionFor(kernel: FakeKernel, timeoutMs = 1000): MemlensSession {
  return new MemlensSession({
    kernel: kernel.asKernel(),
    loadBootstrapCode: () => Promise.resolve('BOOT'),
    timeoutMs
  });
}

describe('MemlensSession', () => {
  it('probes silently, loads the bundle into a kernel without memlens, opens the comm, then says hello', async () => {
    const kernel = new FakeKernel();
    kernel.answer = answering(4242);
    const info = await sessionFor(kernel).start();
    const silent = {
      silent: true,
      store_history: false,
      allow_stdin: false,
      stop_on_error: false
    };
    expect(kernel.executes).toEqual([
      { ...silent, code: '', user_expressions: { memlens: PROBE_EXPRESSION } },
      { ...silent, code: 'BOOT', user_expressions: {} }
    ]);
    expect(kernel.comms).toHaveLength(1);
    expect(kernel.comms[0].targetName).toBe('memlens');
    expect(kernel.comms[0].opened).toEqual({ v: 1 });
    expect(kernel.comms[0].sent[0]).toMatchObject({
      v: 1,
      type: 'request',
      command: 'hello',
      args: {}
    });
    expect(info.pid).toBe(4242);
  });

  it('sends only the probe to a kernel with memlens installed, and never loads the bundle', async () => {
    const kernel = new FakeKernel();
    kernel.answer = answering(7);
    kernel.evaluate = () => ({
      status: 'ok',
      data: { 'text/plain': 'True' },
      metadata: {}
    });
    const load = jest.fn(() => Promise.resolve('BOOT'));
    const session = new MemlensSession({
      kernel: kernel.asKernel(),
      loadBootstrapCode: load
    });
    const info = await session.start();
    expect(load).not.toHaveBeenCalled();
    expect(kernel.executes).toHaveLength(1);
    expect(kernel.executes[0]).toMatchObject({
      code: '',
      silent: true,
      store_history: false,
      user_expressions: { [PROBE_KEY]: PROBE_EXPRESSION }
    });
    expect(kernel.comms).toHaveLength(1);
    expect(info.pid).toBe(7);
  });

  it('loads the bundle once when an installed memlens lacks the comm module', async () => {
    for (const ename of ['ModuleNotFoundError', 'ImportError']) {
      const kernel = new FakeKernel();
      kernel.answer = answering(8);
      kernel.evaluate = () => ({ status: 'error', ename, evalue: 'no' });
      const load = jest.fn(() => Promise.resolve('BOOT'));
      await new MemlensSession({
        kernel: kernel.asKernel(),
        loadBootstrapCode: load
      }).start();
      expect(load).toHaveBeenCalledTimes(1);
      expect(kernel.executes.map(call => call.code)).toEqual(['', 'BOOT']);
    }
  });

  it('loads the bundle when the kernel does not evaluate the probe', async () => {
    const kernel = new FakeKernel();
    kernel.answer = answering(9);
    kernel.executeReply = { status: 'ok', execution_count: 0 };
    kernel.evaluate = () => ({});
    await sessionFor(kernel).start();
    expect(kernel.executes.map(call => call.code)).toEqual(['', 'BOOT']);
  });

  it('reports an installed memlens that fails to load, without loading the bundle', async () => {
    const kernel = new FakeKernel();
    kernel.evaluate = () => ({
      status: 'error',
      ename: 'AttributeError',
      evalue: "module 'memlens.wire.comm' has no attribute 'register'"
    });
    const load = jest.fn(() => Promise.resolve('BOOT'));
    const start = new MemlensSession({
      kernel: kernel.asKernel(),
      loadBootstrapCode: load
    }).start();
    await expect(start).rejects.toThrow(BootstrapError);
    await expect(start).rejects.toThrow(
      "AttributeError: module 'memlens.wire.comm' has no attribute 'register'"
    );
    expect(load).not.toHaveBeenCalled();
    expect(kernel.executes).toHaveLength(1);
    expect(kernel.comms).toHaveLength(0);
  });

  it('reports a bundle that fails to load', async () => {
    const kernel = new FakeKernel();
    const session = sessionFor(kernel);
    kernel.requestExecute = (content => {
      kernel.executes.push(content);
      const failed = content.code === 'BOOT';
      return {
        done: Promise.resolve({
          content: failed
            ? { status: 'error', ename: 'SyntaxError', evalue: 'bad' }
            : {
                status: 'ok',
                user_expressions: {
                  memlens: { status: 'error', ename: 'ImportError', evalue: '' }
                }
              }
        })
      };
    }) as FakeKernel['requestExecute'];
    await expect(session.start()).rejects.toThrow('SyntaxError: bad');
    expect(kernel.executes).toHaveLength(2);
    expect(kernel.comms).toHaveLength(0);
  });

  it('loads the bundled kernel source on demand', async () => {
    const code = await loadBootstrapCode();
    expect(code.startsWith('exec(')).toBe(true);
    expect(code).toContain('__memlens_bootstrap__');
  });

  it('reports a failed bootstrap with the kernel error', async () => {
    const kernel = new FakeKernel();
    kernel.executeReply = {
      status: 'error',
      ename: 'SyntaxError',
      evalue: 'invalid syntax'
    };
    await expect(sessionFor(kernel).start()).rejects.toThrow(BootstrapError);
    await expect(sessionFor(kernel).start()).rejects.toThrow(
      'SyntaxError: invalid syntax'
    );
    expect(kernel.comms).toHaveLength(0);
  });

  it('routes replies to their requests by id, whatever the order', async () => {
    const kernel = new FakeKernel();
    kernel.answer = answering(1);
    const session = sessionFor(kernel);
    await session.start();
    kernel.answer = () => undefined;
    const first = session.request('snapshot', {});
    const second = session.request('snapshot', {});
    const comm = kernel.comms[0];
    const [, a, b] = comm.sent;
    expect(a.id).not.toBe(b.id);
    const reply = (id: unknown, rss: number): unknown => ({
      v: 1,
      type: 'reply',
      id,
      command: 'snapshot',
      ok: true,
      body: snapshotBody(rss)
    });
    comm.deliver(reply(b.id, 222));
    comm.deliver(reply(a.id, 111));
    expect((await first).rss).toBe(111);
    expect((await second).rss).toBe(222);
  });

  it('turns an error reply into a ProtocolError with its code', async () => {
    const kernel = new FakeKernel();
    kernel.answer = answering(1);
    const session = sessionFor(kernel);
    await session.start();
    kernel.answer = request => ({
      v: 1,
      type: 'reply',
      id: request.id,
      command: request.command,
      ok: false,
      error: { code: 'internal', message: 'boom' }
    });
    const failure = session.request('snapshot', {});
    await expect(failure).rejects.toBeInstanceOf(ProtocolError);
    await expect(session.request('snapshot', {})).rejects.toMatchObject({
      code: 'internal',
      message: 'boom'
    });
  });

  it('rejects a reply whose body breaks the protocol', async () => {
    const kernel = new FakeKernel();
    kernel.answer = answering(1);
    const session = sessionFor(kernel);
    await session.start();
    kernel.answer = request => ({
      v: 1,
      type: 'reply',
      id: request.id,
      command: 'snapshot',
      ok: true,
      body: { time: 1, rss: 'lots' }
    });
    await expect(session.request('snapshot', {})).rejects.toMatchObject({
      code: 'bad_request'
    });
  });

  it('times out when the kernel does not answer', async () => {
    const kernel = new FakeKernel();
    kernel.answer = answering(1);
    const session = sessionFor(kernel, 20);
    await session.start();
    kernel.answer = () => undefined;
    await expect(session.request('snapshot', {})).rejects.toBeInstanceOf(
      RequestError
    );
  });

  it('rejects pending requests and closes the comm on dispose', async () => {
    const kernel = new FakeKernel();
    kernel.answer = answering(1);
    const session = sessionFor(kernel);
    await session.start();
    kernel.answer = () => undefined;
    const pending = session.request('snapshot', {});
    let closed = 0;
    session.closed.connect(() => closed++);
    session.dispose();
    session.dispose();
    await expect(pending).rejects.toBeInstanceOf(RequestError);
    expect(kernel.comms[0].closed).toBe(true);
    expect(closed).toBe(1);
    await expect(session.request('snapshot', {})).rejects.toBeInstanceOf(
      RequestError
    );
  });

  it('closes itself when the kernel closes the comm', async () => {
    const kernel = new FakeKernel();
    kernel.answer = answering(1);
    const session = sessionFor(kernel);
    await session.start();
    kernel.comms[0].onClose({});
    await settle();
    expect(session.isDisposed).toBe(true);
  });

  it('ignores messages that are not replies: a retired event, another version, garbage', async () => {
    const kernel = new FakeKernel();
    kernel.answer = answering(1);
    const session = sessionFor(kernel);
    await session.start();
    kernel.answer = () => undefined;
    const pending = session.request('snapshot', {});
    const comm = kernel.comms[0];
    const id = comm.sent[comm.sent.length - 1].id;
    comm.deliver({ v: 1, type: 'event', event: 'tick', body: {} });
    comm.deliver({ v: 9, type: 'event', event: 'future', body: {} });
    comm.deliver('garbage');
    expect(session.isDisposed).toBe(false);
    comm.deliver({
      v: 1,
      type: 'reply',
      id,
      command: 'snapshot',
      ok: true,
      body: snapshotBody(5)
    });
    expect((await pending).rss).toBe(5);
  });
});
