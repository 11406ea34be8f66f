/**
 * How a processor is written. Each queue in common/queues.ts has exactly one
 * processor file `workers/processors/<queue>.ts` whose default export is
 *
 *   export default defineProcessor('<queue>', {
 *     '<job name>': async (job, ctx, signal) => { … return smallJsonResult; }
 *   });
 *
 * or, for CPU-heavy queues, a processor that runs in a child process:
 *
 *   // workers/processors/predict.ts
 *   export default defineSandboxedProcessor('predict', new URL('./predict.sandbox.ts', import.meta.url));
 *   // workers/processors/predict.sandbox.ts
 *   export default sandboxedEntry('predict', { run: async (job, ctx) => … });   // from ../sandbox
 *
 * Handlers only use `job.data`, `job.updateProgress`, `job.log` and `ctx`, an
 * interface both BullMQ's Job and its SandboxedJob satisfy, so a handler moves
 * between the two styles unchanged. `job.data` has already been validated
 * against the contract (defaults applied). Settings come from `ctx.env` (the
 * parsed workers env), not from process.env.
 */
import { UnrecoverableError, type SandboxedOptions } from 'bullmq';
import type { Db } from '../db/client';
import type { WorkersEnv } from '../common/env';
import type { Logger } from '../common/log';
import { AppError, errorStatus, type ErrorCode } from '../common/errors';
import { jobSchema, type EnqueueOptions, type JobData, type JobInput, type JobName, type QueueName } from '../common/queues';
import type { JobProgressPayload } from '../common/realtime-events';
import type { Realtime } from './realtime';

export type { Logger } from '../common/log';

/** What a handler gets besides the job. */
export interface ProcessorContext {
  db: Db;
  /** The process's parsed configuration (common/env.ts): handlers read settings here, never from process.env. */
  env: WorkersEnv;
  /** socket.io emitter over Redis: `ctx.realtime.toUser(id).emit('notification', …)`. */
  realtime: Realtime;
  log: Logger;
  /**
   * Add a job (validated against the contract, with the queue's default
   * options); returns its id. A job with `opts.jobId` that exists already is
   * not added again. In-process hosts only.
   */
  enqueue?<Q extends QueueName, N extends JobName<Q>>(queue: Q, name: N, data: JobInput<Q, N>, opts?: EnqueueOptions): Promise<string>;
}

/**
 * Thrown by a handler that cannot run the job yet (a limit is reached): the
 * host puts the job back as delayed for `delayMs` without using an attempt.
 */
export class Postpone extends Error {
  constructor(
    readonly delayMs: number,
    message = 'postponed'
  ) {
    super(message);
    this.name = 'Postpone';
  }
}

/** The part of a job a handler may use (BullMQ Job and SandboxedJob both fit). */
export interface ProcessorJob<D> {
  readonly id?: string;
  readonly name: string;
  readonly queueName: string;
  readonly data: D;
  readonly attemptsMade: number;
  /** Forwarded to the owner's socket.io room as `job:progress`. */
  updateProgress(progress: JobProgressPayload): Promise<void>;
  log(row: string): unknown;
}

/**
 * Runs one job; returns a small JSON result. A result `{ continues: '<job id>' }`
 * says the work goes on in that job (an import's next slice): the host sends
 * browsers following it (`eventJobId`) no `job:completed` for this one.
 */
export type JobHandler<Q extends QueueName, N extends JobName<Q>> = (
  job: ProcessorJob<JobData<Q, N>>,
  ctx: ProcessorContext,
  /** Aborted when the job is cancelled; check it between batches. */
  signal?: AbortSignal
) => Promise<unknown>;

/** One handler per job name of the queue (the compiler checks none is missing). */
export type JobHandlers<Q extends QueueName> = { [N in JobName<Q>]: JobHandler<Q, N> };

export interface ProcessorOptions {
  /** Jobs of this queue one process runs at once; defaults to the host's concurrency. */
  concurrency?: number;
  /** BullMQ lock duration (ms) for long jobs; default 30 s, renewed while running. */
  lockDuration?: number;
  /** Releases what the processor holds (thread pools…); called once the queue's worker has closed. */
  close?: () => Promise<void>;
  /**
   * The id browsers follow this job's events under (default: the job id), for
   * work that continues in further jobs: an import's slices all report as the import.
   */
  eventJobId?: (data: any) => string | undefined;
  /** Called once the host is running (e.g. to re-enqueue work Redis lost). */
  start?: (ctx: ProcessorContext) => Promise<void>;
}

export interface InlineProcessor<Q extends QueueName = QueueName> extends ProcessorOptions {
  kind: 'inline';
  queue: Q;
  handlers: JobHandlers<Q>;
}

export interface SandboxedProcessor<Q extends QueueName = QueueName> extends ProcessorOptions {
  kind: 'sandboxed';
  queue: Q;
  /** Module whose default export is `sandboxedEntry(queue, handlers)`. `.ts` runs through tsx. */
  file: URL;
  /** Child process (default) or worker thread. */
  useWorkerThreads?: boolean;
  workerForkOptions?: SandboxedOptions['workerForkOptions'];
}

export type ProcessorDefinition<Q extends QueueName = QueueName> = InlineProcessor<Q> | SandboxedProcessor<Q>;
/** A processor for any queue of the contract. */
export type AnyProcessor = { [Q in QueueName]: ProcessorDefinition<Q> }[QueueName];

export function defineProcessor<Q extends QueueName>(
  queue: Q,
  handlers: JobHandlers<Q>,
  options: ProcessorOptions = {}
): InlineProcessor<Q> {
  return { kind: 'inline', queue, handlers, ...options };
}

export function defineSandboxedProcessor<Q extends QueueName>(
  queue: Q,
  file: URL,
  options: Omit<SandboxedProcessor<Q>, 'kind' | 'queue' | 'file'> = {}
): SandboxedProcessor<Q> {
  return { kind: 'sandboxed', queue, file, ...options };
}

export function isProcessorDefinition(value: unknown): value is AnyProcessor {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  if (typeof v.queue !== 'string') return false;
  if (v.kind === 'inline') return !!v.handlers && typeof v.handlers === 'object';
  if (v.kind === 'sandboxed') return v.file instanceof URL;
  return false;
}

// ---------------------------------------------------------------------------
// Running a handler (shared by the in-process host and sandboxed children)

/**
 * Validate the job against the contract and run its handler. Bad data, an
 * unknown job name, and AppErrors that retrying cannot fix (4xx other than
 * 409/429) fail the job without retries (BullMQ UnrecoverableError, keeping
 * the AppError `code`).
 */
export async function runHandler(
  queue: QueueName,
  handlers: Record<string, JobHandler<any, any> | undefined>,
  job: ProcessorJob<unknown> & { data: unknown },
  ctx: ProcessorContext,
  signal?: AbortSignal
): Promise<unknown> {
  const handler = Object.hasOwn(handlers, job.name) ? handlers[job.name] : undefined;
  const schema = jobSchema(queue, job.name);
  if (!handler || !schema) {
    throw unrecoverable('NOT_FOUND', `Queue "${queue}" has no job "${job.name}"`);
  }
  const parsed = schema.safeParse(job.data);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(data)'}: ${i.message}`).join('; ');
    throw unrecoverable('VALIDATION_ERROR', `Invalid data for job ${queue}/${job.name}: ${where}`);
  }
  // Defaults applied; BullMQ keeps the stored data as enqueued.
  (job as { data: unknown }).data = parsed.data;
  try {
    return await handler(job as never, ctx, signal);
  } catch (err) {
    if (err instanceof AppError && err.status >= 400 && err.status < 500 && ![409, 429].includes(err.status)) {
      throw unrecoverable(err.code, err.message);
    }
    throw err;
  }
}

function unrecoverable(code: ErrorCode, message: string): UnrecoverableError & { code: ErrorCode } {
  return Object.assign(new UnrecoverableError(message), { code });
}

/**
 * What a browser is told about a failed job: the AppError code and message,
 * or a generic INTERNAL_ERROR (details stay in the job's failedReason/logs).
 */
export function publicJobError(err: unknown): { code: ErrorCode; message: string } {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = e?.code;
  if (typeof code === 'string' && Object.hasOwn(errorStatus, code) && code !== 'INTERNAL_ERROR') {
    return { code: code as ErrorCode, message: typeof e?.message === 'string' ? e.message : 'The job failed' };
  }
  return { code: 'INTERNAL_ERROR', message: 'The job failed unexpectedly' };
}
