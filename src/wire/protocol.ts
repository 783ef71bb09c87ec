/**
 * The memlens comm protocol: check what the frontend receives, build what it
 * sends. The shapes live once, in `protocol/schema.json`; the types and the
 * schema come from `schema.generated.ts` and `validate.ts` checks values
 * against it. `memlens/wire/protocol.py` is the kernel's side of the same
 * functions; both are checked against `protocol/messages.json`.
 *
 * A message that breaks the schema is refused with an error code:
 * `protocol_mismatch` when its `v` is wrong (checked first), `unknown_command`
 * when a request's command is a string that names no command, else
 * `bad_request`. Echoed request text is clipped to MAX_ECHO_LENGTH characters,
 * on both sides alike.
 */

import {
  COMMANDS,
  MAX_ECHO_LENGTH,
  PROTOCOL_VERSION,
  SCHEMA,
  type Command,
  type ErrorCode,
  type ICellRecord,
  type IErrorReply,
  type IOkReply,
  type IOpenData,
  type IRequest,
  type IRequestArgs,
  type Reply,
  type Source
} from './schema.generated';
import { SchemaError, definition, validate, type Schema } from './validate';

export * from './schema.generated';

/** Where the kernel's memlens came from (the schema's `Source`). */
export type KernelSource = Source;

/** A message that does not follow the protocol. */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** Whether a string names a known command. */
export function isCommand(name: unknown): name is Command {
  return typeof name === 'string' && (COMMANDS as string[]).includes(name);
}

/** `text` cut to `limit` characters, with `...` when cut (as protocol.py). */
export function clip(text: string, limit = MAX_ECHO_LENGTH): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}...`;
}

/**
 * Check `data` against the schema's `$defs/<name>`; throw a ProtocolError.
 * Returns `data` as an object (every message is one).
 */
export function check(data: unknown, name: string): Record<string, unknown> {
  const root = SCHEMA as Schema;
  try {
    validate(data, definition(root, name), root);
  } catch (error) {
    if (error instanceof SchemaError) {
      throw Private.refusal(data, name, error);
    }
    throw error;
  }
  return data as Record<string, unknown>;
}

/** Build a request. */
export function makeRequest<K extends Command>(
  id: string,
  command: K,
  args: IRequestArgs[K]
): IRequest<K> {
  return { v: PROTOCOL_VERSION, type: 'request', id, command, args };
}

/** Check `comm_open` data (the kernel's job; kept so both sides agree). */
export function parseOpen(data: unknown): IOpenData {
  check(data, 'OpenData');
  return { v: PROTOCOL_VERSION };
}

/** Check a request (the kernel's job; kept so both sides agree). */
export function parseRequest(data: unknown): IRequest {
  const obj = check(data, 'Request');
  return {
    v: PROTOCOL_VERSION,
    type: 'request',
    id: obj.id,
    command: obj.command,
    args: obj.args
  } as IRequest;
}

/** Check a reply from the kernel, including its body's shape. */
export function parseReply(data: unknown): Reply {
  const obj = check(data, 'Reply');
  if (obj.ok === true) {
    return {
      v: PROTOCOL_VERSION,
      type: 'reply',
      id: obj.id,
      command: obj.command,
      ok: true,
      body: obj.body
    } as IOkReply;
  }
  const error = obj.error as IErrorReply['error'];
  return {
    v: PROTOCOL_VERSION,
    type: 'reply',
    id: obj.id as string | null,
    command: obj.command as string | null,
    ok: false,
    error: { code: error.code, message: error.message }
  };
}

/** Check one cell record (from a reply, or saved in a notebook's metadata). */
export function parseCellRecord(value: unknown): ICellRecord {
  return check(value, 'CellRecord') as unknown as ICellRecord;
}

namespace Private {
  /** The ProtocolError that answers `data`, which broke `$defs/<name>`. */
  export function refusal(
    data: unknown,
    name: string,
    error: SchemaError
  ): ProtocolError {
    const obj =
      typeof data === 'object' && data !== null && !Array.isArray(data)
        ? (data as Record<string, unknown>)
        : {};
    const at = error.path.join('.');
    if (at === 'v') {
      const shown =
        'v' in obj ? clip(String(JSON.stringify(obj.v))) : 'missing';
      return new ProtocolError(
        'protocol_mismatch',
        `protocol version ${shown} is not ${PROTOCOL_VERSION}`
      );
    }
    const command = obj.command;
    if (
      name === 'Request' &&
      error.path.length === 1 &&
      at === 'command' &&
      typeof command === 'string' &&
      !isCommand(command)
    ) {
      return new ProtocolError(
        'unknown_command',
        `unknown command '${clip(command)}'`
      );
    }
    return new ProtocolError('bad_request', error.message);
  }
}
