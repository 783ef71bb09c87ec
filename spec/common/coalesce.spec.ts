import { Coalescer } from '../../src/common/coalesce';

/** A task whose runs the test finishes one at a time. */
function controlledTask(): {
  task: () => Promise<void>;
  runs: () => number;
  finish: () => void;
} {
  let runs = 0;
  const waiting: Array<() => void> = [];
  return {
    task: () => {
      runs++;
      return new Promise<void>(resolve => waiting.push(resolve));
    },
    runs: () => runs,
    finish: () => waiting.shift()?.()
  };
}

async function tick(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await Promise.resolve();
  }
}

describe('Coalescer', () => {
  it('runs the task once for one call', async () => {
    const { task, runs, finish } = controlledTask();
    const coalescer = new Coalescer(task);
    const done = coalescer.run();
    expect(coalescer.isRunning).toBe(true);
    finish();
    await done;
    expect(runs()).toBe(1);
    expect(coalescer.isRunning).toBe(false);
  });

  it('merges every call made during a run into exactly one more run', async () => {
    const { task, runs, finish } = controlledTask();
    const coalescer = new Coalescer(task);
    const first = coalescer.run();
    const second = coalescer.run();
    const third = coalescer.run();
    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(runs()).toBe(1);
    finish();
    await tick();
    expect(runs()).toBe(2);
    let settled = false;
    void first.then(() => (settled = true));
    await tick();
    expect(settled).toBe(false);
    finish();
    await first;
    expect(runs()).toBe(2);
  });

  it('starts afresh after a run has finished', async () => {
    const { task, runs, finish } = controlledTask();
    const coalescer = new Coalescer(task);
    const first = coalescer.run();
    finish();
    await first;
    const second = coalescer.run();
    expect(second).not.toBe(first);
    finish();
    await second;
    expect(runs()).toBe(2);
  });
});
