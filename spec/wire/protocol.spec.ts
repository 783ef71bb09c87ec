import { readFileSync } from 'fs';
import { join } from 'path';

import {
  COMM_TARGET,
  MAX_ID_LENGTH,
  PROTOCOL_VERSION,
  ProtocolError,
  SCHEMA,
  makeRequest,
  parseCellRecord,
  parseOpen,
  parseReply,
  parseRequest
} from '../../src/wire/protocol';
import {
  SchemaError,
  definition,
  unsupportedKeywords,
  validate,
  type Schema
} from '../../src/wire/validate';
import { parseEvent } from '../../src/wire/session';

type Kind = 'open' | 'request' | 'reply' | 'record' | 'event';

interface IExample {
  name: string;
  kind: Kind;
  message: unknown;
  error_code?: string;
  error_message?: string;
}

interface IFixture {
  protocol_version: number;
  target: string;
  valid: IExample[];
  invalid: IExample[];
}

const root = join(__dirname, '..', '..', 'protocol');
const fixture = JSON.parse(
  readFileSync(join(root, 'messages.json'), 'utf-8')
) as IFixture;
const schemaFile = JSON.parse(
  readFileSync(join(root, 'schema.json'), 'utf-8')
) as Schema;

const PARSERS: Record<Kind, (data: unknown) => unknown> = {
  open: parseOpen,
  request: parseRequest,
  reply: parseReply,
  record: parseCellRecord,
  event: parseEvent
};
const DEFINITIONS: Record<Kind, string> = {
  open: 'OpenData',
  request: 'Request',
  reply: 'Reply',
  record: 'CellRecord',
  event: 'Event'
};

function againstSchema(example: IExample): void {
  const schema = SCHEMA as Schema;
  validate(
    example.message,
    definition(schema, DEFINITIONS[example.kind]),
    schema
  );
}

function refusal(example: IExample): unknown {
  try {
    PARSERS[example.kind](example.message);
  } catch (error) {
    return error;
  }
  return null;
}

describe('the schema', () => {
  it('is protocol/schema.json', () => {
    expect(SCHEMA).toEqual(schemaFile);
  });

  it('uses only keywords the validator understands', () => {
    expect(unsupportedKeywords(schemaFile)).toEqual([]);
  });

  it('reports unknown keywords', () => {
    const schema = {
      $defs: { A: { type: 'object', patternProperties: {}, $ref: 'x.json' } }
    };
    expect(unsupportedKeywords(schema)).toEqual([
      '#/$defs/A: patternProperties',
      '#/$defs/A: $ref x.json'
    ]);
    expect(unsupportedKeywords({ type: 'decimal' })).toEqual([
      '#: type decimal'
    ]);
  });
});

describe('protocol.ts against protocol/messages.json', () => {
  it('agrees on the version, the comm target and the id length', () => {
    expect(PROTOCOL_VERSION).toBe(fixture.protocol_version);
    expect(COMM_TARGET).toBe(fixture.target);
    expect(MAX_ID_LENGTH).toBe(64);
  });

  it('has examples of every kind', () => {
    const kinds = new Set(fixture.valid.map(example => example.kind));
    expect([...kinds].sort()).toEqual([
      'event',
      'open',
      'record',
      'reply',
      'request'
    ]);
    expect(fixture.invalid.length).toBeGreaterThan(10);
  });

  it.each(fixture.valid.map(example => [example.name, example] as const))(
    'finds %s in the schema',
    (_name, example) => {
      expect(() => againstSchema(example)).not.toThrow();
    }
  );

  it.each(fixture.invalid.map(example => [example.name, example] as const))(
    'finds %s against the schema',
    (_name, example) => {
      expect(() => againstSchema(example)).toThrow(SchemaError);
    }
  );

  it.each(fixture.valid.map(example => [example.name, example] as const))(
    'accepts %s',
    (_name, example) => {
      const copy = JSON.parse(JSON.stringify(example.message)) as unknown;
      expect(PARSERS[example.kind](copy)).toEqual(example.message);
      expect(copy).toEqual(example.message);
    }
  );

  it.each(fixture.invalid.map(example => [example.name, example] as const))(
    'refuses %s',
    (_name, example) => {
      const caught = refusal(example);
      expect(caught).toBeInstanceOf(ProtocolError);
      expect((caught as ProtocolError).code).toBe(example.error_code);
      if (example.error_message !== undefined) {
        expect((caught as ProtocolError).message).toBe(example.error_message);
      }
    }
  );

  it('builds requests that its own parser accepts', () => {
    const request = makeRequest('abc', 'snapshot', {});
    expect(parseRequest(request)).toEqual(request);
    expect(request.v).toBe(PROTOCOL_VERSION);
  });
});
