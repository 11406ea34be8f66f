/**
 * The queue contract between the web app (producer) and the workers
 * (consumer): which queues exist, which jobs each takes, and each job's data
 * as a zod schema. Both sides validate against it — `enqueue` before adding,
 * the worker host before running a processor — so a producer and a consumer
 * from different deploys cannot silently disagree.
 *
 * Adding a queue = one entry in `queueContract` below + one processor file
 * `workers/processors/<queue>.ts`. The worker host refuses to start when the
 * two do not match.
 *
 * Every job's data carries `owner` (who the job is for) so the workers can
 * route its progress/completion/failure to that user's socket.io room.
 */
import { Queue, type ConnectionOptions, type DefaultJobOptions, type JobsOptions, type RepeatOptions } from 'bullmq';
import { z } from 'zod';
import { AppError, validationError } from './errors';

// ---------------------------------------------------------------------------
// Shared pieces

/** Jobs nobody asked for (schedules) are owned by this pseudo-user; their events go nowhere. */
export const SYSTEM_USER_ID = 'system';

export const jobOwnerSchema = z.object({
  userId: z.union([z.uuid(), z.literal(SYSTEM_USER_ID)]),
  organizationId: z.uuid().nullable()
});
export type JobOwner = z.infer<typeof jobOwnerSchema>;
export const systemOwner: JobOwner = Object.freeze({ userId: SYSTEM_USER_ID, organizationId: null });

/** A job data schema: `owner` plus the job's own fields. */
const jobData = <S extends z.core.$ZodLooseShape>(shape: S) => z.object({ owner: jobOwnerSchema, ...shape });

export interface QueueSchedule {
  /** Stable id: upserting again with the same id updates the schedule instead of adding one. */
  id: string;
  /** BullMQ repeat options: `{ pattern: '<cron>' }` or `{ every: ms }`. */
  repeat: Omit<RepeatOptions, 'key'>;
  /** Job name (a key of `jobs`) and data (validated against its schema when the host starts). */
  name: string;
  data: unknown;
}

export interface QueueDefinition {
  /** Job name → zod schema of its data (must include `owner`). */
  jobs: Record<string, z.ZodType<{ owner: JobOwner }>>;
  /** Applied by `enqueue` (and to scheduled jobs) unless overridden per job. */
  defaultJobOptions?: DefaultJobOptions;
  /** Job schedulers the worker host upserts at start (BullMQ `upsertJobScheduler`). */
  schedules?: readonly QueueSchedule[];
}

// ---------------------------------------------------------------------------
// The contract

export const queueContract = {
  /** Persist a notification row for a user and push it to their open tabs. */
  notifications: {
    jobs: {
      deliver: jobData({
        notification: z.object({
          /** Recipient; may differ from `owner` (who caused it). */
          userId: z.uuid(),
          organizationId: z.uuid().nullable().default(null),
          /** Machine-readable type, e.g. `submission.received`, `invitation.accepted`. */
          kind: z.string().min(1).max(100),
          title: z.string().min(1).max(300),
          body: z.string().max(5000).nullable().default(null),
          /** App-relative link the bell opens, e.g. `/libraries/…`. */
          link: z.string().max(2000).nullable().default(null)
        })
      })
    },
    defaultJobOptions: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 2000 },
      removeOnComplete: { age: 24 * 3600, count: 1000 },
      removeOnFail: { age: 7 * 24 * 3600 }
    }
  },

  /**
   * Molecule registration from uploaded files. `import` streams the file,
   * registers rows in chunks (resuming after the last committed chunk when a
   * killed worker's job is picked up again), then computes descriptors.
   */
  ingest: {
    jobs: {
      import: jobData({ importId: z.uuid() })
    },
    defaultJobOptions: {
      // A retry resumes from the import's checkpoint, so retrying is safe.
      attempts: 3,
      backoff: { type: 'exponential', delay: 5000 },
      removeOnComplete: { age: 7 * 24 * 3600, count: 1000 },
      removeOnFail: { age: 30 * 24 * 3600 }
    }
  },

  /** Housekeeping: expired sessions and expired, unaccepted invitations. */
  maintenance: {
    jobs: {
      'purge-expired': jobData({
        /** Rows deleted per statement; progress is reported after each batch. */
        batchSize: z.number().int().min(1).max(10_000).default(500),
        /** Only rows that expired before this instant (ISO 8601); default: when the job runs. */
        expiredBefore: z.iso.datetime({ offset: true }).optional()
      })
    },
    defaultJobOptions: {
      attempts: 2,
      backoff: { type: 'fixed', delay: 60_000 },
      removeOnComplete: { count: 100 },
      removeOnFail: { count: 100 }
    },
    schedules: [
      {
        id: 'maintenance:purge-expired:hourly',
        repeat: { pattern: '0 * * * *' },
        name: 'purge-expired',
        data: { owner: systemOwner }
      }
    ]
  },

  /** Signed checkpoints of the audit chains (db/audit.ts writeAuditCheckpoints). */
  audit: {
    jobs: {
      checkpoint: jobData({
        /** Only this organisation's chain; default every chain with events after its newest checkpoint. */
        organizationId: z.uuid().optional()
      })
    },
    defaultJobOptions: {
      attempts: 2,
      backoff: { type: 'fixed', delay: 60_000 },
      removeOnComplete: { count: 100 },
      removeOnFail: { count: 100 }
    },
    schedules: [
      {
        // Events after the newest checkpoint are only as safe as the chain: keep that window short.
        id: 'audit:checkpoint:10min',
        repeat: { every: 10 * 60_000 },
        name: 'checkpoint',
        data: { owner: systemOwner }
      }
    ]
  }
} as const satisfies Record<string, QueueDefinition>;

// ---------------------------------------------------------------------------
// Types derived from the contract

type Contract = typeof queueContract;
export type QueueName = keyof Contract & string;
export type JobName<Q extends QueueName> = keyof Contract[Q]['jobs'] & string;
/** A job's data as the processor sees it (defaults applied). */
export type JobData<Q extends QueueName, N extends JobName<Q>> = z.output<Contract[Q]['jobs'][N]>;
/** A job's data as a producer passes it to `enqueue` (defaulted fields optional). */
export type JobInput<Q extends QueueName, N extends JobName<Q>> = z.input<Contract[Q]['jobs'][N]>;

/** Every queue in the contract, in declaration order. */
export const QUEUE_NAMES: readonly QueueName[] = Object.freeze(Object.keys(queueContract) as QueueName[]);

export const isQueueName = (name: string): name is QueueName => Object.hasOwn(queueContract, name);

export function queueDefinition(queue: QueueName): QueueDefinition {
  return queueContract[queue] as QueueDefinition;
}

/** Job names of a queue. */
export function jobNames<Q extends QueueName>(queue: Q): JobName<Q>[] {
  return Object.keys(queueContract[queue].jobs) as JobName<Q>[];
}

/** The schema of one job, or undefined for an unknown queue/job name. */
export function jobSchema(queue: string, name: string): z.ZodType<{ owner: JobOwner }> | undefined {
  if (!isQueueName(queue)) return undefined;
  const jobs = queueDefinition(queue).jobs;
  return Object.hasOwn(jobs, name) ? jobs[name] : undefined;
}

/**
 * Validate a job's data against the contract. Throws AppError
 * VALIDATION_ERROR (bad data) or NOT_FOUND (unknown queue or job name).
 */
export function parseJobData<Q extends QueueName, N extends JobName<Q>>(queue: Q, name: N, data: unknown): JobData<Q, N>;
export function parseJobData(queue: string, name: string, data: unknown): { owner: JobOwner };
export function parseJobData(queue: string, name: string, data: unknown): { owner: JobOwner } {
  const schema = jobSchema(queue, name);
  if (!schema) throw new AppError('NOT_FOUND', `Queue "${queue}" has no job "${name}"`);
  const result = schema.safeParse(data);
  if (!result.success) throw validationError(result.error.issues, `Invalid data for job ${queue}/${name}`);
  return result.data;
}

/**
 * The id of the `ingest/import` job that continues an import from where its
 * committed state stands (rows checkpointed, descriptors saved, and whether
 * rows are still to be read or it was stopped — cancelled or failed — with
 * only descriptors left). Every party that (re)starts an import — the upload,
 * a finished slice, the resume sweep, cancel — derives the same id from
 * Postgres, so BullMQ keeps one job per position and duplicates are ignored;
 * and stopping gives a new id, so the job that stopped an import (kept by
 * BullMQ once finished) does not stand in for the one that finishes its
 * descriptors. (BullMQ ids may not contain ':'.)
 */
export const ingestJobId = (i: { id: string; status: string; checkpointRow: number; descriptorsDone: number }) =>
  `${i.id}.${i.checkpointRow}.${i.descriptorsDone}${i.status === 'cancelled' || i.status === 'failed' ? '.stopped' : ''}`;

/** Longer than a healthy Redis ever takes to add a job; shorter than anyone waits for an answer. */
const ENQUEUE_TIMEOUT_MS = 3000;

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** BullMQ `prefix` for a REDIS_PREFIX (BullMQ keys are `<prefix>:<queue>:…`). */
export const bullPrefix = (redisPrefix: string) => redisPrefix || 'crosslink';

// ---------------------------------------------------------------------------
// Producer

export type EnqueueOptions = Omit<JobsOptions, 'repeat' | 'parent'>;

export interface EnqueuedJob<Q extends QueueName = QueueName, N extends string = string> {
  id: string;
  queue: Q;
  name: N;
}

export interface QueueClient {
  /** One BullMQ Queue per contract queue, with the contract's default job options. */
  readonly queues: { readonly [Q in QueueName]: Queue };
  /**
   * Validate `data` against the contract and add the job. Throws AppError
   * VALIDATION_ERROR for bad data (nothing is enqueued).
   * Pass `opts.jobId` to make a job idempotent (BullMQ ignores a duplicate id).
   */
  enqueue<Q extends QueueName, N extends JobName<Q>>(
    queue: Q,
    name: N,
    data: JobInput<Q, N>,
    opts?: EnqueueOptions
  ): Promise<EnqueuedJob<Q, N>>;
  /** Close every Queue (a Redis client passed in as `connection` is left open for its owner). */
  close(): Promise<void>;
}

export interface CreateQueuesOptions {
  /** Called for Queue `error` events (connection trouble); defaults to console.error. */
  onError?: (err: Error, queue: QueueName) => void;
}

/**
 * Producer side, for the web app:
 *
 *   const queues = createQueues(env.REDIS_URL, env.REDIS_PREFIX);
 *   await queues.enqueue('notifications', 'deliver', { owner, notification: { … } });
 *
 * `connection` is a redis:// URL, BullMQ connection options, or an ioredis
 * instance (shared; you close it).
 */
export function createQueues(
  connection: string | ConnectionOptions,
  prefix: string,
  options: CreateQueuesOptions = {}
): QueueClient {
  // A producer answers its caller now: with Redis unreachable, `add` fails at
  // once (no offline queue, no per-command retries) instead of waiting for a
  // reconnect, and the web app answers 503. (An ioredis instance passed in is
  // the caller's, with its own settings.)
  const fastFail = { enableOfflineQueue: false, maxRetriesPerRequest: 1 };
  const conn: ConnectionOptions =
    typeof connection === 'string' ? { url: connection, ...fastFail } : 'options' in connection ? connection : { ...fastFail, ...connection };
  const onError =
    options.onError ?? ((err: Error, queue: QueueName) => console.error(`[queues] ${queue}: ${err.message}`));
  const queues = {} as Record<QueueName, Queue>;
  for (const name of QUEUE_NAMES) {
    const queue = new Queue(name, {
      connection: conn,
      prefix: bullPrefix(prefix),
      defaultJobOptions: queueDefinition(name).defaultJobOptions
    });
    queue.on('error', (err) => onError(err, name));
    queues[name] = queue;
  }

  let closing: Promise<void> | undefined;
  return {
    queues,
    async enqueue(queue, name, data, opts) {
      if (closing) throw new AppError('SERVICE_UNAVAILABLE', 'The job queues are shutting down');
      const parsed = parseJobData(queue, name, data);
      const job = await withDeadline(queues[queue].add(name, parsed, opts), ENQUEUE_TIMEOUT_MS).catch((err: Error) => {
        throw new AppError('SERVICE_UNAVAILABLE', 'The job queue is unavailable; try again in a moment', [{ message: err.message }]);
      });
      return { id: String(job.id), queue, name };
    },
    close() {
      closing ??= Promise.allSettled(QUEUE_NAMES.map((q) => queues[q].close())).then(() => undefined);
      return closing;
    }
  };
}
