/**
 * The worker host: one BullMQ Worker per queue of the contract
 * (common/queues.ts), each running that queue's processor, and a
 * socket.io Redis emitter that forwards every job's progress / completion /
 * failure to its owner's room (`user:<owner.userId>`), so the event reaches
 * whichever web node the user is connected to.
 *
 * It refuses to start when the processors and the contract disagree (a queue
 * without a processor, a processor without a queue, a job without a handler),
 * before opening any connection.
 */
import { DelayedError, Queue, Worker, type Job, type WorkerOptions } from 'bullmq';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { AppError } from '../common/errors';
import {
  QUEUE_NAMES,
  SYSTEM_USER_ID,
  bullPrefix,
  isQueueName,
  jobNames,
  jobOwnerSchema,
  parseJobData,
  queueDefinition,
  type QueueName
} from '../common/queues';
import type { JobEventBase, JobProgressPayload } from '../common/realtime-events';
import { parseEnv, workersEnvSchema, type WorkersEnv } from '../common/env';
import { createLogger } from '../common/log';
import type { Db } from '../db/client';
import {
  Postpone,
  publicJobError,
  runHandler,
  type AnyProcessor,
  type Logger,
  type ProcessorContext,
  type SandboxedProcessor
} from './processor';
import { createRealtime, type Realtime } from './realtime';

export interface StartWorkersOptions {
  db: Db;
  redisUrl: string;
  /** REDIS_PREFIX: BullMQ key prefix and socket.io channel namespace. */
  prefix: string;
  /** Jobs per queue run at once in this process (a processor may override). Default 2. */
  concurrency?: number;
  /** Exactly one per queue of the contract; usually `await loadProcessors()`. */
  processors: readonly AnyProcessor[];
  /** Upsert the contract's job schedulers (hourly purge, …). Default true. */
  schedules?: boolean;
  log?: Logger;
  /**
   * The parsed workers env, handed to every processor as `ctx.env` (and to sandboxed
   * children). Default: parsed from process.env at start, with `redisUrl`/`prefix` (tests).
   */
  env?: WorkersEnv;
  /** Extra BullMQ worker settings (tests shorten intervals). */
  workerOptions?: Partial<Pick<WorkerOptions, 'drainDelay' | 'stalledInterval' | 'lockDuration' | 'maxStalledCount'>>;
}

export interface WorkerHost {
  /** Queues being processed, in contract order. */
  readonly queueNames: readonly QueueName[];
  readonly workers: ReadonlyMap<QueueName, Worker>;
  /** Queue handles (used for schedules; handy for admin views and tests). */
  readonly queues: ReadonlyMap<QueueName, Queue>;
  readonly realtime: Realtime;
  /**
   * Graceful stop: take no new jobs, wait for running ones to finish (their
   * completion events are still forwarded), then close connections. With
   * `timeoutMs`, running jobs are cancelled (their AbortSignal fires) after
   * that long; the call still waits for them to settle. Idempotent. The
   * database pool is the caller's to end.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

/** Problems that make the processors and the contract disagree; empty when they match. */
export function checkProcessors(processors: readonly AnyProcessor[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const p of processors) {
    if (!isQueueName(p.queue)) {
      problems.push(
        `processor for queue "${p.queue}" has no queue in common/queues.ts (add it to queueContract or remove workers/processors/${p.queue}.ts)`
      );
      continue;
    }
    if (seen.has(p.queue)) problems.push(`queue "${p.queue}" has more than one processor`);
    seen.add(p.queue);
    if (p.kind === 'inline') {
      const expected = new Set<string>(jobNames(p.queue));
      const handled = new Set(Object.keys(p.handlers));
      for (const name of expected) {
        if (!handled.has(name)) problems.push(`processor for "${p.queue}" has no handler for job "${name}"`);
      }
      for (const name of handled) {
        if (!expected.has(name)) problems.push(`processor for "${p.queue}" handles job "${name}", which the contract does not define`);
      }
    }
  }
  for (const q of QUEUE_NAMES) {
    if (!seen.has(q)) problems.push(`queue "${q}" has no processor (create workers/processors/${q}.ts)`);
  }
  return problems;
}

export async function startWorkers(options: StartWorkersOptions): Promise<WorkerHost> {
  const problems = checkProcessors(options.processors);
  if (problems.length) {
    throw new AppError(
      'INTERNAL_ERROR',
      `Worker host refuses to start: processors do not match the queue contract:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      problems.map((message) => ({ message }))
    );
  }
  const wantSchedules = options.schedules ?? true;
  if (wantSchedules) {
    // A schedule whose data does not fit its job would fail every hour; refuse now instead.
    for (const q of QUEUE_NAMES) {
      for (const s of queueDefinition(q).schedules ?? []) parseJobData(q, s.name, s.data);
    }
  }

  const env = options.env ?? hostEnv(options);
  const log = options.log ?? createLogger('workers', env);
  const prefix = bullPrefix(options.prefix);
  const concurrency = options.concurrency ?? 2;
  const realtime = createRealtime(options.redisUrl, options.prefix, {
    onError: (err) => log.error(`realtime emitter redis: ${err.message}`)
  });
  const workers = new Map<QueueName, Worker>();
  const queues = new Map<QueueName, Queue>();
  const ctx: ProcessorContext = {
    db: options.db,
    env,
    realtime,
    log,
    async enqueue(queue, name, data, opts) {
      const q = queues.get(queue);
      if (!q) throw new AppError('SERVICE_UNAVAILABLE', `Queue "${queue}" is not open in this worker host`);
      const job = await q.add(name, parseJobData(queue, name, data), { ...queueDefinition(queue).defaultJobOptions, ...opts });
      return String(job.id);
    }
  };
  const eventIds = new Map(options.processors.map((p) => [p.queue, p.eventJobId] as const));

  const forward = (queue: QueueName, job: Job | undefined) => {
    if (!job?.id) return null;
    const owner = jobOwnerSchema.safeParse((job.data as { owner?: unknown } | undefined)?.owner);
    if (!owner.success || owner.data.userId === SYSTEM_USER_ID) return null;
    // A job that continues in further jobs (an import's slices) is followed under one id.
    const jobId = eventIds.get(queue)?.(job.data) ?? String(job.id);
    const base: JobEventBase = { jobId, queue, name: job.name, ownerUserId: owner.data.userId };
    return { base, to: realtime.toUser(owner.data.userId) };
  };

  let closing: Promise<void> | undefined;
  const host: WorkerHost = {
    queueNames: QUEUE_NAMES,
    workers,
    queues,
    realtime,
    close(closeOptions = {}) {
      closing ??= (async () => {
        let timer: NodeJS.Timeout | undefined;
        if (closeOptions.timeoutMs !== undefined) {
          timer = setTimeout(() => {
            log.warn(`jobs still running after ${closeOptions.timeoutMs} ms; cancelling them`);
            for (const w of workers.values()) w.cancelAllJobs('worker shutting down');
          }, closeOptions.timeoutMs);
          timer.unref();
        }
        try {
          await Promise.allSettled([...workers.values()].map((w) => w.close()));
        } finally {
          clearTimeout(timer);
        }
        await Promise.allSettled(options.processors.map((p) => p.close?.()));
        await Promise.allSettled([...queues.values()].map((q) => q.close()));
        await realtime.close();
      })();
      return closing;
    }
  };

  try {
    for (const def of options.processors) {
      const queue = def.queue;
      const common: WorkerOptions = {
        connection: { url: options.redisUrl },
        prefix,
        concurrency: def.concurrency ?? concurrency,
        ...(def.lockDuration ? { lockDuration: def.lockDuration } : {}),
        ...workerOptionsFromEnv(env),
        ...options.workerOptions,
        name: `crosslink-workers-${process.pid}`
      };
      const worker =
        def.kind === 'inline'
          ? new Worker(
              queue,
              async (job: Job, token?: string, signal?: AbortSignal) => {
                try {
                  return await runHandler(queue, def.handlers, job, ctx, signal);
                } catch (err) {
                  if (!(err instanceof Postpone) || !token) throw err;
                  // Not now (a limit is reached): back to the queue for later, no attempt used.
                  await job.moveToDelayed(Date.now() + err.delayMs, token);
                  throw new DelayedError();
                }
              },
              common
            )
          : new Worker(queue, def.file, { ...common, ...sandboxOptions(def, options, env) });
      workers.set(queue, worker);

      worker.on('error', (err) => log.error(`${queue} worker: ${err.message}`));
      worker.on('stalled', (jobId) => log.warn(`${queue} job ${jobId} stalled (a worker died or blocked its event loop); BullMQ retries or fails it`));
      worker.on('progress', (job, progress) => {
        const target = forward(queue, job);
        const payload = progressPayload(progress);
        if (target && payload !== null) target.to.emit('job:progress', { ...target.base, progress: payload });
      });
      worker.on('completed', (job, result) => {
        log.debug(`${queue}/${job.name} ${job.id} completed`);
        // A job whose work goes on in another (an import's slice) has not completed for whoever follows it.
        if (continuesElsewhere(result)) return;
        const target = forward(queue, job);
        if (target) target.to.emit('job:completed', { ...target.base, ...(smallJson(result) ? { result } : {}) });
      });
      worker.on('failed', (job, err) => {
        const willRetry = !!job && !job.finishedOn;
        const cause = err.cause instanceof Error ? ` (cause: ${err.cause.message})` : '';
        log[willRetry ? 'warn' : 'error'](
          `${queue}/${job?.name ?? '?'} ${job?.id ?? '?'} failed${willRetry ? ' (will retry)' : ''}: ${err.message}${cause}`
        );
        const target = forward(queue, job);
        if (target && job) {
          target.to.emit('job:failed', {
            ...target.base,
            error: publicJobError(err),
            attemptsMade: job.attemptsMade,
            willRetry
          });
        }
      });

      const q = new Queue(queue, { connection: { url: options.redisUrl }, prefix });
      q.on('error', (err) => log.error(`${queue} queue: ${err.message}`));
      queues.set(queue, q);
    }

    await Promise.all([...workers.values()].map((w) => w.waitUntilReady()));
    await Promise.all([...queues.values()].map((q) => q.waitUntilReady()));
    if (wantSchedules) await upsertSchedules(queues, log);
    for (const def of options.processors) await def.start?.(ctx);
  } catch (err) {
    await host.close().catch(() => {});
    throw err;
  }
  return host;
}

/** Upsert the contract's schedules and remove schedulers the contract no longer has. */
async function upsertSchedules(queues: ReadonlyMap<QueueName, Queue>, log: Logger) {
  for (const [name, queue] of queues) {
    const def = queueDefinition(name);
    const wanted = def.schedules ?? [];
    for (const s of wanted) {
      await queue.upsertJobScheduler(s.id, s.repeat, {
        name: s.name,
        data: parseJobData(name, s.name, s.data),
        opts: def.defaultJobOptions
      });
      log.debug(`schedule ${s.id} upserted`);
    }
    const ids = new Set(wanted.map((s) => s.id));
    for (const existing of await queue.getJobSchedulers(0, -1)) {
      if (!ids.has(existing.key)) {
        await queue.removeJobScheduler(existing.key);
        log.info(`removed job scheduler ${existing.key} (no longer in the contract)`);
      }
    }
  }
}

/**
 * Lock and stall detection can be tuned per deployment: a shorter lock lets a
 * killed worker's job be picked up sooner (the tests use this), at the cost of
 * more Redis traffic.
 */
function workerOptionsFromEnv(env: WorkersEnv): Partial<WorkerOptions> {
  return {
    ...(env.WORKER_LOCK_DURATION_MS ? { lockDuration: env.WORKER_LOCK_DURATION_MS } : {}),
    ...(env.WORKER_STALLED_INTERVAL_MS ? { stalledInterval: env.WORKER_STALLED_INTERVAL_MS } : {})
  };
}

const connectionStringOf = (db: Db) => (db.$client as { options?: { connectionString?: string } }).options?.connectionString;

/** The env of a host started without one (tests): process.env, with the connections it was given. */
function hostEnv(options: StartWorkersOptions): WorkersEnv {
  return parseEnv(workersEnvSchema, 'workers', {
    ...process.env,
    DATABASE_URL: connectionStringOf(options.db) ?? process.env.DATABASE_URL,
    REDIS_URL: options.redisUrl,
    REDIS_PREFIX: options.prefix
  });
}

function progressPayload(progress: unknown): JobProgressPayload | null {
  if (typeof progress === 'number' && Number.isFinite(progress)) return progress;
  if (progress && typeof progress === 'object') {
    const p = progress as Record<string, unknown>;
    if (typeof p.done === 'number' && typeof p.total === 'number') {
      return {
        done: p.done,
        total: p.total,
        ...(typeof p.message === 'string' ? { message: p.message } : {}),
        ...(p.data && typeof p.data === 'object' && smallJson(p.data) ? { data: p.data as Record<string, unknown> } : {})
      };
    }
  }
  return null;
}

/** A handler's result `{ continues: '<job id>' }`: its work goes on in that job (see JobHandler). */
const continuesElsewhere = (result: unknown) => typeof (result as { continues?: unknown } | null)?.continues === 'string';

const MAX_RESULT_BYTES = 8 * 1024;
function smallJson(value: unknown): boolean {
  if (value === undefined) return false;
  try {
    return JSON.stringify(value).length <= MAX_RESULT_BYTES;
  } catch {
    return false;
  }
}

const TS_FILE = /\.(c|m)?ts$/;
const tsxLoader = () => pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/**
 * A sandboxed child gets the host's settings in its environment, and the tsx
 * loader when its entry is TypeScript and the host was not started through tsx.
 */
function sandboxOptions(def: SandboxedProcessor, options: StartWorkersOptions, hostEnv: WorkersEnv): Partial<WorkerOptions> {
  if (def.useWorkerThreads) return { useWorkerThreads: true };
  const connectionString = connectionStringOf(options.db);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LOG_LEVEL: hostEnv.LOG_LEVEL,
    ...(hostEnv.LOG_FORMAT ? { LOG_FORMAT: hostEnv.LOG_FORMAT } : {}),
    REDIS_URL: options.redisUrl,
    REDIS_PREFIX: options.prefix,
    ...(connectionString ? { DATABASE_URL: connectionString } : {})
  };
  const fork = { ...def.workerForkOptions, env: { ...env, ...def.workerForkOptions?.env } };
  if (!fork.execArgv && TS_FILE.test(def.file.pathname) && !process.execArgv.some((a) => a.includes('tsx'))) {
    // Inspector flags would collide on the parent's port; everything else is kept.
    const inherited = process.execArgv.filter((a) => !a.startsWith('--inspect'));
    fork.execArgv = [...inherited, '--import', tsxLoader()];
  }
  return { workerForkOptions: fork };
}
