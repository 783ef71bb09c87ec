import { KernelMemoryReader } from '../../src/connection/kernelMemory';
import { KernelModel } from '../../src/kernel/model';
import type { MemlensSession } from '../../src/wire/session';
import { RequestError } from '../../src/wire/session';

const PARTS = {
  variables: 10,
  output_cache: 0,
  last_exception: 0,
  native_pools: 0,
  allocators_free: 0,
  gpu_runtime: 0,
  libraries_and_code: 5,
  rest: 5
};

function breakdown(rss: number): Record<string, unknown> {
  return {
    rss,
    parts: { ...PARTS, rest: rss - 15 },
    lower_bounds: [],
    rest_is_upper_bound: false,
    pymalloc_free: 0,
    malloc_free: 0,
    trim_can_return: 0,
    elapsed_s: 0.01
  };
}

/** A session whose replies the test writes; it records every request. */
function fakeSession(): {
  session: MemlensSession;
  sent: Array<[string, unknown]>;
  rss: { value: number };
} {
  const sent: Array<[string, unknown]> = [];
  const rss = { value: 100 };
  const session = {
    request: (command: string, args: unknown) => {
      sent.push([command, args]);
      if (command === 'kernel_memory') {
        return Promise.resolve(breakdown(rss.value));
      }
      if (command === 'free_memory') {
        const { action } = args as { action: string };
        rss.value -= 40;
        return Promise.resolve({
          action,
          available: true,
          rss_before: rss.value + 40,
          rss_after: rss.value,
          gave_back: 40
        });
      }
      return Promise.reject(new RequestError('no'));
    }
  } as unknown as MemlensSession;
  return { session, sent, rss };
}

describe('KernelMemoryReader', () => {
  it('writes the parts of RSS into the model, merging overlapping reads', async () => {
    const model = new KernelModel({ notebookName: 'a' });
    const { session, sent } = fakeSession();
    const reader = new KernelMemoryReader({ session: () => session, model });
    await Promise.all([reader.refresh(), reader.refresh(), reader.refresh()]);
    expect(sent.map(([c]) => c)).toEqual(['kernel_memory', 'kernel_memory']);
    expect(sent[0][1]).toEqual({ budget_ms: 2000 });
    expect(model.breakdown?.rss).toBe(100);
    reader.dispose();
  });

  it('runs an action the model asks for, shows what it gave back, then reads again', async () => {
    const model = new KernelModel({ notebookName: 'a' });
    const { session, sent } = fakeSession();
    const reader = new KernelMemoryReader({ session: () => session, model });
    const states: Array<string | null> = [];
    model.changed.connect(() => states.push(model.freeing));
    model.requestFree('trim');
    expect(model.freeing).toBe('trim');
    await new Promise(resolve => setTimeout(resolve, 0));
    await reader.refresh();
    expect(sent.map(([c]) => c)).toContain('free_memory');
    expect(sent[0]).toEqual(['free_memory', { action: 'trim' }]);
    expect(model.freed.trim?.gave_back).toBe(40);
    expect(model.freeing).toBeNull();
    expect(model.breakdown?.rss).toBe(60);
    expect(states).toContain('trim');
    reader.dispose();
  });

  it('does nothing without a session', async () => {
    const model = new KernelModel({ notebookName: 'a' });
    const reader = new KernelMemoryReader({ session: () => null, model });
    await reader.free('collect');
    await reader.refresh();
    expect(model.freeing).toBeNull();
    expect(model.breakdown).toBeNull();
    reader.dispose();
  });
});
