import { readFileSync } from 'fs';
import { join } from 'path';

import {
  COMM_TARGET,
  PROTOCOL_VERSION,
  ProtocolError,
  makeRequest,
  parseOpen,
  parseReply,
  parseRequest
} from '../../src/wire/protocol';

interface IExample {
  name: string;
  kind: 'open' | 'request' | 'reply';
  message: unknown;
  error_code?: string;
}

interface IFixture {
  protocol_version: number;
  target: string;
  valid: IExample[];
  invalid: IExample[];
}

const fixture = JSON.parse(
  readFileSync(
    join(__dirname, '..', '..', 'protocol', 'messages.json'),
    'utf-8'
  )
) as IFixture;

const PARSERS = {
  open: parseOpen,
  request: parseRequest,
  reply: parseReply
};

describe('protocol.ts against protocol/messages.json', () => {
  it('agrees on the version and the comm target', () => {
    expect(PROTOCOL_VERSION).toBe(fixture.protocol_version);
    expect(COMM_TARGET).toBe(fixture.target);
  });

  it('has examples of every kind', () => {
    const kinds = new Set(fixture.valid.map(example => example.kind));
    expect([...kinds].sort()).toEqual(['open', 'reply', 'request']);
    expect(fixture.invalid.length).toBeGreaterThan(10);
  });

  it.each(fixture.valid.map(example => [example.name, example] as const))(
    'accepts %s',
    (_name, example) => {
      const parsed = PARSERS[example.kind](example.message);
      expect(parsed).toEqual(example.message);
    }
  );

  it.each(fixture.invalid.map(example => [example.name, example] as const))(
    'refuses %s',
    (_name, example) => {
      let caught: unknown = null;
      try {
        PARSERS[example.kind](example.message);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ProtocolError);
      expect((caught as ProtocolError).code).toBe(example.error_code);
    }
  );

  it('builds requests that its own parser accepts', () => {
    const request = makeRequest('abc', 'snapshot', {});
    expect(parseRequest(request)).toEqual(request);
    expect(request.v).toBe(PROTOCOL_VERSION);
  });
});
