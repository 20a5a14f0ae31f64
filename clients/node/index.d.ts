// Type declarations of the jobtrack Node.js client and its BullMQ bridge.
import { EventEmitter } from 'events';
import type { Queue, ConnectionOptions } from 'bullmq';

// The few shapes of node-postgres used here, so that no @types/pg is needed.
export interface QueryResult<R = any> {
  rows: R[];
  rowCount: number | null;
  [key: string]: unknown;
}
/** A pg.Pool. */
export interface Pool {
  query(text: string, params?: unknown[]): Promise<QueryResult>;
  connect(): Promise<any>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): this;
  options?: Record<string, unknown>;
}
/** pg connection settings (pg.ClientConfig / pg.PoolConfig). */
export interface PoolConfig {
  connectionString?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string | (() => string | Promise<string>);
  database?: string;
  ssl?: unknown;
  application_name?: string;
  max?: number;
  idleTimeoutMillis?: number;
  connectionTimeoutMillis?: number;
  [setting: string]: unknown;
}
export type ClientConfig = PoolConfig;

export type Id = number | bigint;
/** What a job id or group id may be given as: a number, a bigint, or a string of digits. */
export type IdInput = number | bigint | string;

export type JobStatus = 'queued' | 'delayed' | 'started' | 'paused' | 'stuck' | 'succeeded' | 'failed' | 'cancelled';
export type GroupStatus = 'pending' | 'running' | 'completed';
export type MessageLevel = 'debug' | 'info' | 'success' | 'warning' | 'error';
export const STATUSES: JobStatus[];

/** Milliseconds, or a PostgreSQL interval such as '10 minutes'. */
export type IntervalInput = number | string;

export interface JobTrackOptions extends PoolConfig {
  /** Use this pool (end() does not close it); otherwise the options configure a pool of the client's own. */
  pool?: Pool;
  /** The type ids are returned as: 'number' (default; ids beyond 2^53 raise RangeError) or 'bigint'. */
  ids?: 'number' | 'bigint';
}

export interface CreateJobOptions {
  alias?: string | null;
  /** A JSON object. */
  tags?: Record<string, unknown> | null;
  groupId?: IdInput | null;
  data?: unknown;
  /** Your job system's id. An existing one returns that job's id and changes nothing. */
  externalId?: string | null;
  /** The job is 'delayed' until now() + delay. */
  delay?: IntervalInput | null;
}

export interface JobRow<I extends Id = number> {
  id: I;
  external_id: string | null;
  job_type: string;
  alias: string | null;
  group_id: I | null;
  tags: Record<string, unknown>;
  status: JobStatus;
  percentage: number | null;
  progress_current: number | null;
  progress_total: number | null;
  attempts: number;
  data: unknown;
  failed_reason: string | null;
  created_at: Date;
  available_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  heartbeat_at: Date | null;
  updated_at: Date;
  owner: string;
  [column: string]: unknown;
}

export interface GroupRow<I extends Id = number> {
  id: I;
  title: string;
  payload: unknown;
  status: GroupStatus;
  run: number;
  [column: string]: unknown;
}

export interface SignalRow<I extends Id = number> {
  id: I;
  job_id: I;
  group_id: I | null;
  signal: string;
  parameters: Record<string, unknown>;
  cancel_job: boolean;
  created_at: Date;
  handled_at: Date | null;
}

export interface GroupCounts {
  total: number;
  queued: number;
  running: number;
  paused?: number;
  stuck?: number;
  not_finished: number;
  finished: number;
  succeeded: number;
  failed: number;
  cancelled: number;
}

/** A row of jobtrack.group_events(). */
export interface StoredGroupEvent<I extends Id = number> {
  id: I;
  groupId: I;
  run: number;
  event: 'group.started' | 'group.completed' | string;
  createdAt: Date;
  payload: GroupEventPayload;
}

export interface GroupEventPayload {
  event: string;
  event_id: number;
  group_id: number;
  run: number;
  title?: string;
  title_truncated?: boolean;
  at?: string;
  counts?: GroupCounts;
  [key: string]: unknown;
}

/** What events() hands to onEvent: always complete, from a full notification or the stored row. */
export interface GroupEvent<I extends Id = number> {
  id: I;
  groupId: I;
  run: number;
  event: 'group.started' | 'group.completed' | string;
  at: string | Date;
  title: string | null;
  counts: GroupCounts | null;
  payload: GroupEventPayload;
}

export interface EventsOptions<I extends Id = number> {
  /** Hand out events with an id above this one; null or absent: every kept event. */
  afterId?: IdInput | null;
  /** Called once per event, in id order; awaited before the next. An exception goes to onError. */
  onEvent: (event: GroupEvent<I>) => unknown | Promise<unknown>;
  /** Connection errors (the subscription reconnects by itself) and EventsExpired (it stops). */
  onError?: (err: Error) => void;
  /** Called after each (re)connect, once the replay is done. */
  onConnect?: () => void;
  /** Default 'jobtrack_events' (the setting jobtrack.notify_channel). */
  channel?: string;
  /** Reconnect backoff bounds in ms (default 100 and 5000). */
  minBackoff?: number;
  maxBackoff?: number;
  /** A `SELECT 1` after this many idle ms notices a dead connection (default 15000). */
  pingInterval?: number;
  /** pg settings of the LISTEN connection; default: the client's. */
  connection?: ClientConfig;
}

export interface EventSubscription<I extends Id = number> {
  /** The id of the last event handed out; null before the first. */
  readonly lastId: I | null;
  /** Successful (re)connects so far. */
  readonly connects: number;
  /** Resolves after stop(); rejects with EventsExpired when the events to replay aged out. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export interface JobTrackConstructor {
  new (options: JobTrackOptions & { ids: 'bigint' }): JobTrack<bigint>;
  new (options?: JobTrackOptions & { ids?: 'number' }): JobTrack<number>;
}
/** The client; ids are numbers, or bigints with { ids: 'bigint' }. */
export const JobTrack: JobTrackConstructor;

export interface JobTrack<I extends Id = number> {
  readonly pool: Pool;
  query(text: string, params?: unknown[]): Promise<QueryResult>;
  toId(value: string | number | bigint | null): I | null;

  createJob(jobType: string, options?: CreateJobOptions): Promise<I>;
  /** The jobtrack id of the job with this external id, or null. */
  findJob(externalId: string): Promise<I | null>;
  getJob(id: IdInput): Promise<JobRow<I> | null>;
  startJob(id: IdInput): Promise<JobStatus>;
  succeedJob(id: IdInput): Promise<JobStatus>;
  failJob(id: IdInput, reason?: string | null): Promise<JobStatus>;
  cancelJob(id: IdInput): Promise<JobStatus>;
  pauseJob(id: IdInput): Promise<JobStatus>;
  retryJob(id: IdInput): Promise<JobStatus>;
  setStatus(id: IdInput, status: JobStatus): Promise<JobStatus>;
  getStatus(id: IdInput): Promise<JobStatus>;
  percentage(id: IdInput): Promise<number | null>;
  setProgress(id: IdInput, percentage: number): Promise<void>;
  setProgress(id: IdInput, progress: { current: number; total: number }): Promise<void>;
  setProgress(id: IdInput, current: number | bigint, total: number | bigint): Promise<void>;
  heartbeat(id: IdInput): Promise<void>;
  addMessage(id: IdInput, message: string, level?: MessageLevel): Promise<I>;
  sendSignal(id: IdInput, signal: string, parameters?: Record<string, unknown>, cancelJob?: boolean): Promise<I>;
  requestCancel(id: IdInput): Promise<I>;
  takeSignals(id: IdInput): Promise<SignalRow<I>[]>;

  createGroup(title: string, options?: { payload?: unknown; timeToCheck?: IntervalInput }): Promise<I>;
  /** First-or-create by title. */
  groupId(title: string): Promise<I>;
  getGroup(id: IdInput): Promise<GroupRow<I> | null>;
  groupJobs(groupId: IdInput): Promise<JobRow<I>[]>;
  /** Events with an id above afterId (every kept event without it), in id order. */
  groupEvents(afterId?: IdInput | null): Promise<StoredGroupEvent<I>[]>;
  checkGroups(): Promise<number>;
  events(options: EventsOptions<I>): EventSubscription<I>;
  /** Closes the client's own pool (not one passed in). */
  end(): Promise<void>;
}

export class JobtrackError extends Error {
  /** The SQLSTATE. */
  readonly code: string;
  readonly sqlstate: string;
  readonly detail?: string;
  readonly hint?: string;
}
/** P0002 */
export class NotFound extends JobtrackError {}
export class JobNotFound extends NotFound {}
export class GroupNotFound extends NotFound {}
/** 55000 */
export class ForbiddenTransition extends JobtrackError {}
/** 22023, 22004, 22P02 */
export class InvalidInput extends JobtrackError {}
/** JT001: events after afterId were deleted by retention. */
export class EventsExpired extends JobtrackError {
  readonly afterId?: Id | string | null;
  /** Every event id up to this one was deleted (when the error says). */
  readonly deletedThrough?: string;
  /** The oldest kept event id (when the error names it). */
  readonly oldestId?: string;
  /** An afterId to resume from that loses nothing more. */
  readonly resumeAfter?: string;
}

/** A BullMQ job as the bridge read it from Redis. */
export interface BullJobSnapshot {
  key: string;
  id: string;
  queue: string;
  exists: boolean;
  /**
   * For a job gone from Redis: 'completed', 'failed' or 'removed' when the batch's
   * stream entries say how it ended, 'gone' when they do not (its row is left as it is).
   */
  state: 'active' | 'completed' | 'failed' | 'delayed' | 'prioritized' | 'waiting-children' | 'waiting' | 'removed' | 'gone';
  name: string | null;
  data: unknown;
  progress: unknown;
  attemptsMade: number;
  failedReason: string | null;
  /**
   * The flow parent's key. A job gone from Redis took it with its hash: when the batch creates
   * its row, the parent whose :processed, :failed or :unsuccessful names it (if the batch read
   * that parent), else null.
   */
  parentKey: string | null;
  delay: number;
  timestamp: number;
  finishedOn: number | null;
}

export interface TrackQueueOptions {
  /** Redis connection (ioredis options or instance); default: the queue's. */
  connection?: ConnectionOptions;
  /** Where jobtrack is: a pg pool, a JobTrack client, or pg settings for a pool of the bridge's own. */
  pool?: Pool;
  jobtrack?: JobTrack<any>;
  pg?: PoolConfig;
  /** BullMQ key prefix; default the queue's, or 'bull'. */
  prefix?: string;
  /** Copy the job's data into jobtrack: false (default), true, or a function of the snapshot. */
  data?: boolean | ((job: BullJobSnapshot) => unknown);
  /** Schema of the position table (default 'jobtrack_bullmq'). */
  schema?: string;
  /** Stream entries per batch (default 500) and XREAD block time in ms (default 1000). */
  batchSize?: number;
  blockMs?: number;
  maxBackoff?: number;
  /** Stream id to start from when no position is stored (default '0-0': the whole stream). */
  from?: string;
  /**
   * Every this many ms (default 60000; 0 never) the bridge looks for this queue's unfinished
   * rows whose job is gone from Redis with no entry saying so (Queue.clean, Queue.drain,
   * orphan removal, Queue.obliterate) and cancels them once its position has passed the
   * stream's last id of that moment. A `cleaned` entry or the stream vanishing checks at once.
   */
  checkMs?: number;
}

export interface BridgeStats {
  batches: number;
  events: number;
  jobs: number;
  resyncs: number;
  errors: number;
  /** Checks run, and rows of silently removed jobs settled (cancelled unless already finished). */
  checks: number;
  settled: number;
}

export class QueueBridge extends EventEmitter {
  constructor(queue: Queue | string, options: TrackQueueOptions);
  readonly queueName: string;
  readonly eventsKey: string;
  /** The last stream id committed to jobtrack. */
  readonly position: string | null;
  /** Resolves once the position is loaded (and a resync, if needed, is done). */
  readonly ready: Promise<void>;
  readonly stats: BridgeStats;
  start(): this;
  close(): Promise<void>;
  resync(): Promise<void>;
  /** Run the check of `checkMs` now: it notes gone jobs; the bridge's loop cancels their rows once its position allows. */
  check(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'batch', listener: (b: { position: string | null; events: number; jobs: BullJobSnapshot[]; committedAt: number }) => void): this;
  on(event: 'resync', listener: (r: { jobs: number; position: string }) => void): this;
  on(event: 'check', listener: (c: { rows: number; gone: number; suspects: number }) => void): this;
  on(event: 'mismatch', listener: (m: { key: string; jobtrack: JobStatus; bullmq: string }) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

/** Mirror every job of a BullMQ queue into jobtrack; returns the running bridge. */
export function trackQueue(queue: Queue | string, options: TrackQueueOptions): QueueBridge;
