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
    bootstrapCode: 'BOOT',
    timeoutMs
  });
}

describe('MemlensSession', () => {
  it('bootstraps silently, opens the comm with the version, then says hello', async () => {
    const kernel = new FakeKernel();
    kernel.answer = answering(4242);
    const info = await sessionFor(kernel).start();
    expect(kernel.executes).toEqual([
      expect.objectContaining({
        code: 'BOOT',
        silent: true,
        store_history: false
      })
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

  it('emits events and ignores unreadable ones', async () => {
    const kernel = new FakeKernel();
    kernel.answer = answering(1);
    const session = sessionFor(kernel);
    await session.start();
    const events: string[] = [];
    session.event.connect((_, event) => events.push(event.event));
    kernel.comms[0].deliver({ v: 1, type: 'event', event: 'tick', body: {} });
    kernel.comms[0].deliver({ v: 9, type: 'event', event: 'future', body: {} });
    kernel.comms[0].deliver('garbage');
    expect(events).toEqual(['tick']);
  });
});
