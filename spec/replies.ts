import { readFileSync } from 'fs';
import { join } from 'path';

import type { Answer } from './fakeKernel';

interface IExample {
  name: string;
  message: Record<string, unknown>;
}

const fixture = JSON.parse(
  readFileSync(join(__dirname, '..', 'protocol', 'messages.json'), 'utf-8')
) as { valid: IExample[] };

function example(name: string): Record<string, unknown> {
  const found = fixture.valid.find(e => e.name === name);
  if (!found) {
    throw new Error(`no example named ${name}`);
  }
  return found.message;
}

/** The valid example of protocol/messages.json with this name, as a T. */
export function exampleMessage<T>(name: string): T {
  return example(name) as unknown as T;
}

/** The body of the valid example with this name, as a T. */
export function exampleBody<T>(name: string): T {
  return example(name).body as T;
}

/** The fixture's hello body, with this pid. */
export function helloBody(pid: number): Record<string, unknown> {
  const body = example('hello reply').body as Record<string, unknown>;
  return { ...body, pid };
}

/** The fixture's snapshot body, with this rss. */
export function snapshotBody(rss: number): Record<string, unknown> {
  const body = example('snapshot reply').body as Record<string, unknown>;
  return { ...body, rss };
}

/** A cell record like the fixture's, with this seq and cell id. */
export function cellRecord(
  seq: number,
  cellId: string | null,
  overrides: Record<string, unknown> = {}
): Record<string, unknown> {
  const body = example('cells reply').body as {
    records: Record<string, unknown>[];
  };
  return { ...body.records[0], seq, cell_id: cellId, ...overrides };
}

/** A kernel that answers hello, snapshot, cells and configure. */
export function answering(
  pid: number,
  rss = 1024,
  records: Record<string, unknown>[] = []
): Answer {
  let precise = false;
  return request => {
    const base = {
      v: 1,
      type: 'reply',
      id: request.id,
      command: request.command
    };
    if (request.command === 'hello') {
      return { ...base, ok: true, body: helloBody(pid) };
    }
    if (request.command === 'snapshot') {
      return { ...base, ok: true, body: snapshotBody(rss) };
    }
    const args = request.args as { after?: number; precise?: boolean };
    if (request.command === 'cells') {
      const after = args.after ?? 0;
      const fresh = records.filter(r => (r.seq as number) > after);
      const last = records.length
        ? (records[records.length - 1].seq as number)
        : 0;
      return {
        ...base,
        ok: true,
        body: { records: fresh, last_seq: last, dropped_before: 0, precise }
      };
    }
    if (request.command === 'configure') {
      precise = !!args.precise;
      return { ...base, ok: true, body: { precise } };
    }
    return undefined;
  };
}
