/**
 * The memlens comm protocol: message names and shapes, mirrored by
 * `memlens/protocol.py`. Both sides are checked against `protocol/messages.json`.
 */

/** The protocol's major version; every message carries it as `v`. */
export const PROTOCOL_VERSION = 1;

/** The one comm target the kernel side registers. */
export const COMM_TARGET = 'memlens';

/** Longest request id the kernel accepts. */
export const MAX_ID_LENGTH = 64;

/** Why a message was refused. */
export type ErrorCode =
  'bad_request' | 'protocol_mismatch' | 'unknown_command' | 'internal';

/** What a kernel can measure, and how. */
export interface IProbe {
  name: string;
  available: boolean;
  /** How the reading is taken, e.g. "/proc/self/status VmRSS". */
  method: string;
  /** Why it is missing, or a version. */
  detail: string;
}

/** Process memory at one moment; sizes in bytes, null where unavailable. */
export interface IMemorySnapshot {
  /** Unix time in seconds. */
  time: number;
  rss: number | null;
  /** Highest RSS so far (VmHWM). */
  rss_peak: number | null;
  cgroup_current: number | null;
  cgroup_limit: number | null;
}

/** Where the kernel's memlens came from. */
export type KernelSource = 'installed' | 'injected';

/** The body of the `hello` reply: who the kernel is and what it can measure. */
export interface IKernelInfo {
  protocol_version: number;
  memlens_version: string;
  source: KernelSource;
  pid: number;
  python_version: string;
  implementation: string;
  platform: string;
  system: string;
  ipykernel_version: string;
  ipython_version: string;
  probes: IProbe[];
  memory: IMemorySnapshot;
}

/** Arguments of each command. */
export interface IRequestArgs {
  hello: Record<string, never>;
  snapshot: Record<string, never>;
}

/** Reply body of each command. */
export interface IReplyBodies {
  hello: IKernelInfo;
  snapshot: IMemorySnapshot;
}

/** A command name. */
export type Command = keyof IRequestArgs;

/** Data sent with `comm_open`. */
export interface IOpenData {
  v: number;
}

/** A request from the frontend. */
export interface IRequest<K extends Command = Command> {
  v: number;
  type: 'request';
  id: string;
  command: K;
  args: IRequestArgs[K];
}

/** A successful reply. */
export interface IOkReply<K extends Command = Command> {
  v: number;
  type: 'reply';
  id: string;
  command: K;
  ok: true;
  body: IReplyBodies[K];
}

/** A refused or failed request. */
export interface IErrorReply {
  v: number;
  type: 'reply';
  id: string | null;
  command: string | null;
  ok: false;
  error: { code: ErrorCode; message: string };
}

/** Any reply. */
export type Reply = IOkReply | IErrorReply;

/** An unsolicited message from the kernel. */
export interface IEvent {
  v: number;
  type: 'event';
  event: string;
  body: Record<string, unknown>;
}

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

const COMMANDS: ReadonlyArray<Command> = ['hello', 'snapshot'];

/** Whether a string names a known command. */
export function isCommand(name: unknown): name is Command {
  return typeof name === 'string' && (COMMANDS as string[]).includes(name);
}

/** Build a request. */
export function makeRequest<K extends Command>(
  id: string,
  command: K,
  args: IRequestArgs[K]
): IRequest<K> {
  return { v: PROTOCOL_VERSION, type: 'request', id, command, args };
}

/** Check `comm_open` data. */
export function parseOpen(data: unknown): IOpenData {
  const obj = Private.object(data);
  Private.version(obj);
  return { v: PROTOCOL_VERSION };
}

/** Check a request (the kernel's job; kept here so both sides agree). */
export function parseRequest(data: unknown): IRequest {
  const obj = Private.envelope(data, 'request');
  const id = Private.id(obj.id);
  if (!isCommand(obj.command)) {
    if (typeof obj.command !== 'string') {
      throw new ProtocolError('bad_request', 'command must be a string');
    }
    throw new ProtocolError(
      'unknown_command',
      `unknown command '${obj.command}'`
    );
  }
  const args = Private.object(obj.args, 'args');
  return {
    v: PROTOCOL_VERSION,
    type: 'request',
    id,
    command: obj.command,
    args: args as Record<string, never>
  };
}

/** Check a reply from the kernel, including its body's shape. */
export function parseReply(data: unknown): Reply {
  const obj = Private.envelope(data, 'reply');
  if (typeof obj.ok !== 'boolean') {
    throw new ProtocolError('bad_request', 'reply.ok must be a boolean');
  }
  if (!obj.ok) {
    const error = Private.object(obj.error, 'error');
    if (!Private.isErrorCode(error.code)) {
      throw new ProtocolError('bad_request', 'error.code is not known');
    }
    return {
      v: PROTOCOL_VERSION,
      type: 'reply',
      id: Private.nullableString(obj.id, 'id'),
      command: Private.nullableString(obj.command, 'command'),
      ok: false,
      error: {
        code: error.code,
        message: Private.str(error.message, 'message')
      }
    };
  }
  const id = Private.id(obj.id);
  if (!isCommand(obj.command)) {
    throw new ProtocolError('bad_request', 'reply names no known command');
  }
  const body = Private.object(obj.body, 'body');
  const command = obj.command;
  if (command === 'hello') {
    Private.kernelInfo(body);
  } else {
    Private.snapshot(body, 'body');
  }
  return {
    v: PROTOCOL_VERSION,
    type: 'reply',
    id,
    command,
    ok: true,
    body: body as unknown as IReplyBodies[typeof command]
  } as IOkReply;
}

/** Check an event's envelope. */
export function parseEvent(data: unknown): IEvent {
  const obj = Private.envelope(data, 'event');
  return {
    v: PROTOCOL_VERSION,
    type: 'event',
    event: Private.str(obj.event, 'event'),
    body: Private.object(obj.body, 'body')
  };
}

namespace Private {
  type Obj = Record<string, unknown>;

  const ERROR_CODES: ReadonlyArray<ErrorCode> = [
    'bad_request',
    'protocol_mismatch',
    'unknown_command',
    'internal'
  ];

  export function isErrorCode(code: unknown): code is ErrorCode {
    return typeof code === 'string' && (ERROR_CODES as string[]).includes(code);
  }

  export function object(value: unknown, what = 'message'): Obj {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ProtocolError('bad_request', `${what} is not an object`);
    }
    return value as Obj;
  }

  export function version(obj: Obj): void {
    if (obj.v !== PROTOCOL_VERSION) {
      throw new ProtocolError(
        'protocol_mismatch',
        `protocol version ${JSON.stringify(obj.v)} is not ${PROTOCOL_VERSION}`
      );
    }
  }

  export function envelope(data: unknown, type: string): Obj {
    const obj = object(data);
    version(obj);
    if (obj.type !== type) {
      throw new ProtocolError('bad_request', `type must be '${type}'`);
    }
    return obj;
  }

  export function id(value: unknown): string {
    if (
      typeof value !== 'string' ||
      value.length === 0 ||
      value.length > MAX_ID_LENGTH
    ) {
      throw new ProtocolError(
        'bad_request',
        `id must be a string of 1 to ${MAX_ID_LENGTH} characters`
      );
    }
    return value;
  }

  export function str(value: unknown, what: string): string {
    if (typeof value !== 'string') {
      throw new ProtocolError('bad_request', `${what} must be a string`);
    }
    return value;
  }

  export function nullableString(value: unknown, what: string): string | null {
    return value === null ? null : str(value, what);
  }

  function count(value: unknown, what: string): void {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new ProtocolError(
        'bad_request',
        `${what} must be a non-negative integer`
      );
    }
  }

  function bytes(value: unknown, what: string): void {
    if (value !== null) {
      count(value, what);
    }
  }

  export function snapshot(value: unknown, what: string): void {
    const obj = object(value, what);
    if (typeof obj.time !== 'number' || !Number.isFinite(obj.time)) {
      throw new ProtocolError('bad_request', `${what}.time must be a number`);
    }
    for (const key of ['rss', 'rss_peak', 'cgroup_current', 'cgroup_limit']) {
      bytes(obj[key], `${what}.${key}`);
    }
  }

  export function kernelInfo(body: Obj): void {
    count(body.protocol_version, 'protocol_version');
    count(body.pid, 'pid');
    for (const key of [
      'memlens_version',
      'python_version',
      'implementation',
      'platform',
      'system',
      'ipykernel_version',
      'ipython_version'
    ]) {
      str(body[key], key);
    }
    if (body.source !== 'installed' && body.source !== 'injected') {
      throw new ProtocolError(
        'bad_request',
        "source must be 'installed' or 'injected'"
      );
    }
    if (!Array.isArray(body.probes)) {
      throw new ProtocolError('bad_request', 'probes must be a list');
    }
    for (const probe of body.probes) {
      const p = object(probe, 'probe');
      str(p.name, 'probe.name');
      str(p.method, 'probe.method');
      str(p.detail, 'probe.detail');
      if (typeof p.available !== 'boolean') {
        throw new ProtocolError(
          'bad_request',
          'probe.available must be a boolean'
        );
      }
    }
    snapshot(body.memory, 'memory');
  }
}
