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

/** How a cell's peak RSS was measured. */
export type PeakMethod = 'exact' | 'sampled' | 'none';

/** A Python allocation site, from tracemalloc (precise mode). */
export interface IAllocationSite {
  file: string;
  line: number;
  /** Bytes allocated there during the cell and still alive at its end. */
  size: number;
  count: number;
}

/** What tracemalloc saw during one cell (precise mode only). */
export interface IPreciseReading {
  /** Change in bytes traced by tracemalloc over the cell. */
  python_delta: number;
  /** Highest traced bytes during the cell, above the start. */
  python_peak: number;
  top: IAllocationSite[];
}

/** What one executed cell did to the kernel's memory. Sizes in bytes. */
export interface ICellRecord {
  /** Increases by one per record within a kernel process. */
  seq: number;
  cell_id: string | null;
  execution_count: number | null;
  /** The first line of the cell's source. */
  preview: string;
  /** Unix time in seconds. */
  started: number;
  duration_s: number;
  success: boolean;
  rss_before: number | null;
  rss_after: number | null;
  rss_peak: number | null;
  peak_method: PeakMethod;
  sample_interval_s: number | null;
  /** Change in memory held by live Python objects. */
  python_delta: number | null;
  /** The rest of the RSS change: native allocations and other mappings. */
  native_delta: number | null;
  /** Change in memory the allocators hold free (fragmentation). */
  allocator_free_delta: number | null;
  /** Memory newly pinned by IPython's output cache. */
  output_cache_delta: number | null;
  precise: IPreciseReading | null;
}

/** The body of a `cells` reply. */
export interface ICellsBody {
  /** Records with seq above the request's `after`, oldest first. */
  records: ICellRecord[];
  last_seq: number;
  /** Records up to this seq fell out of the kernel's bounded history. */
  dropped_before: number;
  /** Whether precise (tracemalloc) mode is on in the kernel. */
  precise: boolean;
}

/**
 * One step from a variable into its contents. The kernel follows steps; it
 * never evaluates text from the frontend.
 */
export type PathStep =
  | { kind: 'name'; value: string }
  | { kind: 'attr'; value: string }
  | { kind: 'index'; index: number }
  | { kind: 'key'; index: number }
  | { kind: 'column'; index: number };

/** Sizes of one object, in bytes. */
export interface ISizes {
  /** Python type, qualified outside builtins, e.g. `numpy.ndarray`. */
  type: string;
  /** `(1000, 3)`, `len 4`, or null. */
  shape: string | null;
  /** What `sys.getsizeof` says; null when it raised. */
  getsizeof: number | null;
  /** Bytes reachable from the object. */
  deep: number;
  /** Bytes that deleting it would free. */
  retained: number;
  /** The walk hit its time or memory budget: the sizes are lower bounds. */
  partial: boolean;
  /** Oddities met on the way, e.g. `sizeof_raised`, `budget`. */
  flags: string[];
  expandable: boolean;
}

/** A user variable and its sizes. */
export interface IVariableRow extends ISizes {
  name: string;
}

/** A part of an expanded object: an item, an entry, an attribute, a column. */
export interface IChildRow extends ISizes {
  /** How to show it, e.g. `[3]`, `'apple'`, `.weights`. */
  label: string;
  step: PathStep;
}

/** What the walker cost. */
export interface IWalkStats {
  elapsed_ms: number;
  objects: number;
  walker_peak_bytes: number;
  /** The walk stopped at its memory cap. */
  capped: boolean;
}

/** The body of a `variables` reply. */
export interface IVariablesBody {
  rows: IVariableRow[];
  /** IPython's output cache as a row of its own; null outside IPython. */
  output_cache: IVariableRow | null;
  partial: boolean;
  stats: IWalkStats;
}

/** The body of an `expand` reply: one page of an object's parts. */
export interface IExpandBody {
  path: PathStep[];
  offset: number;
  total: number;
  partial: boolean;
  children: IChildRow[];
}

/** Largest page an `expand` request may ask for. */
export const MAX_EXPAND_LIMIT = 1000;

/** Arguments of each command. */
export interface IRequestArgs {
  hello: Record<string, never>;
  snapshot: Record<string, never>;
  cells: { after: number };
  configure: { precise: boolean };
  variables: {
    budget_ms: number;
    complete: string[];
    /** Cap on the walker's own memory (bytes); absent or null: the kernel's default. */
    cap_bytes?: number | null;
  };
  expand: {
    path: PathStep[];
    offset: number;
    limit: number;
    budget_ms: number;
    /** Cap on the walker's own memory (bytes); absent or null: the kernel's default. */
    cap_bytes?: number | null;
  };
}

/** Reply body of each command. */
export interface IReplyBodies {
  hello: IKernelInfo;
  snapshot: IMemorySnapshot;
  cells: ICellsBody;
  configure: { precise: boolean };
  variables: IVariablesBody;
  expand: IExpandBody;
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

const COMMANDS: ReadonlyArray<Command> = [
  'hello',
  'snapshot',
  'cells',
  'configure',
  'variables',
  'expand'
];

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
  Private.args(obj.command, args);
  return {
    v: PROTOCOL_VERSION,
    type: 'request',
    id,
    command: obj.command,
    args
  } as IRequest;
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
  Private.body(command, body);
  return {
    v: PROTOCOL_VERSION,
    type: 'reply',
    id,
    command,
    ok: true,
    body: body as unknown as IReplyBodies[typeof command]
  } as IOkReply;
}

/** Check one cell record (from a reply, or saved in a notebook's metadata). */
export function parseCellRecord(value: unknown): ICellRecord {
  const obj = Private.object(value, 'record');
  Private.record(obj);
  return obj as unknown as ICellRecord;
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

  export function args(command: Command, value: Obj): void {
    if (command === 'cells') {
      count(value.after, 'args.after');
    } else if (command === 'configure') {
      bool(value.precise, 'args.precise');
    } else if (command === 'variables') {
      positive(value.budget_ms, 'args.budget_ms');
      if (!Array.isArray(value.complete)) {
        throw new ProtocolError('bad_request', 'args.complete must be a list');
      }
      value.complete.forEach(name => str(name, 'args.complete[]'));
      cap(value.cap_bytes);
    } else if (command === 'expand') {
      path(value.path, true);
      count(value.offset, 'args.offset');
      positive(value.limit, 'args.limit');
      if ((value.limit as number) > MAX_EXPAND_LIMIT) {
        throw new ProtocolError(
          'bad_request',
          `args.limit must be at most ${MAX_EXPAND_LIMIT}`
        );
      }
      positive(value.budget_ms, 'args.budget_ms');
      cap(value.cap_bytes);
    }
  }

  /** An optional memory cap: absent, null, or a positive integer. */
  function cap(value: unknown): void {
    if (value !== undefined && value !== null) {
      positive(value, 'args.cap_bytes');
    }
  }

  function positive(value: unknown, what: string): void {
    count(value, what);
    if (value === 0) {
      throw new ProtocolError('bad_request', `${what} must be positive`);
    }
  }

  const STEP_KINDS = ['name', 'attr', 'index', 'key', 'column'];

  function path(value: unknown, fromName: boolean): void {
    if (!Array.isArray(value) || (fromName && value.length === 0)) {
      throw new ProtocolError('bad_request', 'path must be a non-empty list');
    }
    value.forEach((item, position) => {
      const step = object(item, 'step');
      if (!STEP_KINDS.includes(step.kind as string)) {
        throw new ProtocolError('bad_request', 'step.kind is not known');
      }
      if (fromName && (position === 0) !== (step.kind === 'name')) {
        throw new ProtocolError(
          'bad_request',
          'a path starts with a name, and only there'
        );
      }
      if (step.kind === 'name' || step.kind === 'attr') {
        str(step.value, 'step.value');
      } else {
        count(step.index, 'step.index');
      }
    });
  }

  function sizes(obj: Obj, what: string): void {
    str(obj.type, `${what}.type`);
    if (obj.shape !== null) {
      str(obj.shape, `${what}.shape`);
    }
    bytes(obj.getsizeof, `${what}.getsizeof`);
    count(obj.deep, `${what}.deep`);
    count(obj.retained, `${what}.retained`);
    bool(obj.partial, `${what}.partial`);
    bool(obj.expandable, `${what}.expandable`);
    if (!Array.isArray(obj.flags)) {
      throw new ProtocolError('bad_request', `${what}.flags must be a list`);
    }
    obj.flags.forEach(flag => str(flag, `${what}.flags[]`));
  }

  function variableRow(value: unknown): void {
    const row = object(value, 'row');
    str(row.name, 'row.name');
    sizes(row, 'row');
  }

  function variables(value: Obj): void {
    if (!Array.isArray(value.rows)) {
      throw new ProtocolError('bad_request', 'rows must be a list');
    }
    value.rows.forEach(variableRow);
    if (value.output_cache !== null) {
      variableRow(value.output_cache);
    }
    bool(value.partial, 'partial');
    const stats = object(value.stats, 'stats');
    finite(stats.elapsed_ms, 'stats.elapsed_ms');
    count(stats.objects, 'stats.objects');
    count(stats.walker_peak_bytes, 'stats.walker_peak_bytes');
    bool(stats.capped, 'stats.capped');
  }

  function expand(value: Obj): void {
    path(value.path, true);
    count(value.offset, 'offset');
    count(value.total, 'total');
    bool(value.partial, 'partial');
    if (!Array.isArray(value.children)) {
      throw new ProtocolError('bad_request', 'children must be a list');
    }
    for (const item of value.children) {
      const child = object(item, 'child');
      str(child.label, 'child.label');
      path([child.step], false);
      sizes(child, 'child');
    }
  }

  export function body(command: Command, value: Obj): void {
    switch (command) {
      case 'hello':
        kernelInfo(value);
        break;
      case 'snapshot':
        snapshot(value, 'body');
        break;
      case 'cells':
        cells(value);
        break;
      case 'configure':
        bool(value.precise, 'precise');
        break;
      case 'variables':
        variables(value);
        break;
      case 'expand':
        expand(value);
        break;
    }
  }

  function bool(value: unknown, what: string): void {
    if (typeof value !== 'boolean') {
      throw new ProtocolError('bad_request', `${what} must be a boolean`);
    }
  }

  function finite(value: unknown, what: string): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ProtocolError('bad_request', `${what} must be a number`);
    }
  }

  function integer(value: unknown, what: string, nullable: boolean): void {
    if (nullable && value === null) {
      return;
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new ProtocolError('bad_request', `${what} must be an integer`);
    }
  }

  const PEAK_METHODS = ['exact', 'sampled', 'none'];

  function cells(value: Obj): void {
    count(value.last_seq, 'last_seq');
    count(value.dropped_before, 'dropped_before');
    bool(value.precise, 'precise');
    if (!Array.isArray(value.records)) {
      throw new ProtocolError('bad_request', 'records must be a list');
    }
    for (const item of value.records) {
      record(object(item, 'record'));
    }
  }

  export function record(rec: Obj): void {
    count(rec.seq, 'record.seq');
    if (rec.cell_id !== null) {
      str(rec.cell_id, 'record.cell_id');
    }
    if (rec.execution_count !== null) {
      count(rec.execution_count, 'record.execution_count');
    }
    str(rec.preview, 'record.preview');
    finite(rec.started, 'record.started');
    finite(rec.duration_s, 'record.duration_s');
    bool(rec.success, 'record.success');
    for (const key of ['rss_before', 'rss_after', 'rss_peak']) {
      bytes(rec[key], `record.${key}`);
    }
    if (!PEAK_METHODS.includes(rec.peak_method as string)) {
      throw new ProtocolError('bad_request', 'record.peak_method is not known');
    }
    if (rec.sample_interval_s !== null) {
      finite(rec.sample_interval_s, 'record.sample_interval_s');
    }
    for (const key of [
      'python_delta',
      'native_delta',
      'allocator_free_delta',
      'output_cache_delta'
    ]) {
      integer(rec[key], `record.${key}`, true);
    }
    if (rec.precise !== null) {
      const precise = object(rec.precise, 'record.precise');
      integer(precise.python_delta, 'precise.python_delta', false);
      integer(precise.python_peak, 'precise.python_peak', false);
      if (!Array.isArray(precise.top)) {
        throw new ProtocolError('bad_request', 'precise.top must be a list');
      }
      for (const item of precise.top) {
        const site = object(item, 'site');
        str(site.file, 'site.file');
        count(site.line, 'site.line');
        integer(site.size, 'site.size', false);
        count(site.count, 'site.count');
      }
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
