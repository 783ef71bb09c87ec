import {
  PROGRESS_EVERY_MS,
  VariablesFetcher
} from '../../src/variables/fetcher';
import { pathKey } from '../../src/variables/model';
import type {
  IChildRow,
  IVariableRow,
  PathStep
} from '../../src/wire/protocol';
import { MemlensSession } from '../../src/wire/session';
import { FakeKernel } from '../fakeKernel';
import { answering } from '../replies';

function sizes(name: string): IVariableRow {
  return {
    name,
    type: 'list',
    shape: 'len 250',
    getsizeof: 2056,
    deep: 9000,
    retained: 9000,
    partial: false,
    flags: [],
    expandable: true
  };
}

function child(index: number): IChildRow {
  return {
    label: `[${index}]`,
    step: { kind: 'index', index },
    type: 'float',
    shape: null,
    getsizeof: 24,
    deep: 24,
    retained: 24,
    partial: false,
    flags: [],
    expandable: false
  };
}

/** A kernel holding one list of 250 items, answering variables and expand. */
async function connectedFetcher(): Promise<{
  fetcher: VariablesFetcher;
  requests: Record<string, unknown>[];
}> {
  const kernel = new FakeKernel();
  const base = answering(1);
  const requests: Record<string, unknown>[] = [];
  kernel.answer = request => {
    requests.push(request);
    const reply = {
      v: 1,
      type: 'reply',
      id: request.id,
      command: request.command
    };
    const args = request.args as {
      offset: number;
      limit: number;
      path: PathStep[];
    };
    if (request.command === 'variables') {
      return {
        ...reply,
        ok: true,
        body: {
          rows: [sizes('items')],
          output_cache: null,
          partial: false,
          stats: {
            elapsed_ms: 1,
            objects: 251,
            walker_peak_bytes: 1000,
            capped: false
          }
        }
      };
    }
    if (request.command === 'expand') {
      const end = Math.min(250, args.offset + args.limit);
      const children = [];
      for (let i = args.offset; i < end; i++) {
        children.push(child(i));
      }
      return {
        ...reply,
        ok: true,
        body: {
          path: args.path,
          offset: args.offset,
          total: 250,
          partial: false,
          children
        }
      };
    }
    return base(request);
  };
  const session = new MemlensSession({
    kernel: kernel.asKernel(),
    loadBootstrapCode: () => Promise.resolve('BOOT'),
    timeoutMs: 1000
  });
  await session.start();
  return {
    fetcher: new VariablesFetcher({ session: () => session, budgetMs: 50 }),
    requests
  };
}

describe('VariablesFetcher', () => {
  it('sizes the variables with the configured budget', async () => {
    const { fetcher, requests } = await connectedFetcher();
    await fetcher.refresh();
    expect(fetcher.model.body?.rows.map(r => r.name)).toEqual(['items']);
    expect(requests.pop()?.args).toEqual({ budget_ms: 50, complete: [] });
  });

  it('sends a memory cap only when the setting is above 0', async () => {
    const { fetcher, requests } = await connectedFetcher();
    const path: PathStep[] = [{ kind: 'name', value: 'items' }];
    const last = (command: string): Record<string, unknown> => {
      const found = requests.filter(r => r.command === command).pop();
      return (found?.args ?? {}) as Record<string, unknown>;
    };
    await fetcher.refresh();
    await fetcher.expand(path);
    expect(last('variables')).not.toHaveProperty('cap_bytes');
    expect(last('expand')).not.toHaveProperty('cap_bytes');

    fetcher.memoryCapMiB = 64; // a changed setting applies to the next request
    await fetcher.refresh();
    expect(last('variables')).toEqual({
      budget_ms: 50,
      complete: [],
      cap_bytes: 64 * 1024 * 1024
    });
    await fetcher.complete(['items']);
    expect(last('variables').cap_bytes).toBe(64 * 1024 * 1024);
    await fetcher.more(path);
    expect(last('expand').cap_bytes).toBe(64 * 1024 * 1024);

    fetcher.memoryCapMiB = 0;
    await fetcher.refresh();
    await fetcher.expand(path);
    expect(last('variables')).not.toHaveProperty('cap_bytes');
    expect(last('expand')).not.toHaveProperty('cap_bytes');
  });

  it('takes its memory cap from its options', async () => {
    const capped = new VariablesFetcher({
      session: () => null,
      budgetMs: 50,
      memoryCapMiB: 16
    });
    expect(capped.memoryCapMiB).toBe(16);
    const idle = new VariablesFetcher({ session: () => null, budgetMs: 50 });
    expect(idle.memoryCapMiB).toBe(0);
  });

  it('expands page by page and collapses everything below', async () => {
    const { fetcher, requests } = await connectedFetcher();
    const path: PathStep[] = [{ kind: 'name', value: 'items' }];
    await fetcher.expand(path);
    const key = pathKey(path);
    expect(fetcher.model.expansions.get(key)?.page?.children).toHaveLength(100);
    await fetcher.more(path);
    await fetcher.more(path);
    const page = fetcher.model.expansions.get(key)?.page;
    expect(page?.children).toHaveLength(250);
    expect(page?.children[249].label).toBe('[249]');
    const offsets = requests
      .filter(r => r.command === 'expand')
      .map(r => (r.args as { offset: number }).offset);
    expect(offsets).toEqual([0, 100, 200]);
    await fetcher.expand([...path, { kind: 'index', index: 3 }]);
    expect(fetcher.model.expansions.size).toBe(2);
    fetcher.collapse(path);
    expect(fetcher.model.expansions.size).toBe(0);
  });

  it('asks to complete partial names with a larger budget', async () => {
    const { fetcher, requests } = await connectedFetcher();
    await fetcher.complete(['items']);
    const args = requests.pop()?.args as {
      budget_ms: number;
      complete: string[];
    };
    expect(args.complete).toEqual(['items']);
    expect(args.budget_ms).toBeGreaterThan(50);
  });

  it('does nothing without a session, and forgets on reset', async () => {
    const idle = new VariablesFetcher({ session: () => null, budgetMs: 50 });
    await idle.refresh();
    expect(idle.model.body).toBeNull();
    const { fetcher } = await connectedFetcher();
    await fetcher.refresh();
    fetcher.reset();
    expect(fetcher.model.body).toBeNull();
  });
});

describe('VariablesFetcher: completing in the background', () => {
  it('says how far it got while it runs, and cancels', async () => {
    const kernel = new FakeKernel();
    const base = answering(1);
    let held: Record<string, unknown> | null = null;
    let objects = 0;
    const asked: string[] = [];
    kernel.answer = request => {
      asked.push(request.command as string);
      const reply = {
        v: 1,
        type: 'reply',
        id: request.id,
        command: request.command
      };
      if (request.command === 'variables') {
        held = request; // answered when cancelled
        return undefined;
      }
      if (request.command === 'progress') {
        objects += 1000;
        return {
          ...reply,
          ok: true,
          body: {
            running: true,
            request: 'r',
            command: 'variables',
            objects,
            elapsed_ms: objects / 10
          }
        };
      }
      if (request.command === 'cancel') {
        setTimeout(() =>
          kernel.comms[0].deliver({
            v: 1,
            type: 'reply',
            id: held?.id,
            command: 'variables',
            ok: true,
            body: {
              rows: [
                { ...sizes('items'), partial: true, flags: ['interrupted'] }
              ],
              output_cache: null,
              partial: true,
              stats: {
                elapsed_ms: 1,
                objects,
                walker_peak_bytes: 1,
                capped: false
              }
            }
          })
        );
        return { ...reply, ok: true, body: { cancelled: true } };
      }
      return base(request);
    };
    const session = new MemlensSession({
      kernel: kernel.asKernel(),
      loadBootstrapCode: () => Promise.resolve('BOOT'),
      timeoutMs: 5000
    });
    await session.start();
    const fetcher = new VariablesFetcher({
      session: () => session,
      budgetMs: 50
    });
    const done = fetcher.complete(['items']);
    expect(fetcher.model.completing).toEqual({ objects: 0, elapsedMs: 0 });
    // Two progress polls (one every PROGRESS_EVERY_MS): waited for, not slept for, since
    // a loaded machine can fire the interval late (a fixed 600 ms wait then saw one).
    const started = Date.now();
    while (
      (fetcher.model.completing?.objects ?? 0) < 2000 &&
      Date.now() - started < 4000
    ) {
      await new Promise(resolve => setTimeout(resolve, PROGRESS_EVERY_MS / 5));
    }
    const seen = fetcher.model.completing;
    expect(seen?.objects).toBeGreaterThanOrEqual(2000);
    expect(seen?.elapsedMs).toBeGreaterThan(0);
    await fetcher.cancel();
    await done;
    expect(asked).toContain('cancel');
    expect(fetcher.model.completing).toBeNull();
    expect(fetcher.model.body?.rows[0].flags).toEqual(['interrupted']);
    fetcher.dispose();
  });
});
