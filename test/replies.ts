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

/** A kernel that answers hello and snapshot as the fixture does. */
export function answering(pid: number, rss = 1024): Answer {
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
    return undefined;
  };
}
