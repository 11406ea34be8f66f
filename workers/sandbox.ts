/**
 * Entry point helper for sandboxed processors (BullMQ runs them in a child
 * process or worker thread, so CPU-heavy work cannot stall the host's event
 * loop, lock renewals or other queues). The child builds its own context
 * from the environment the host passes it (DATABASE_URL, REDIS_URL,
 * REDIS_PREFIX, LOG_LEVEL, …; `ctx.env` is it, parsed):
 *
 *   // workers/processors/predict.sandbox.ts
 *   import { sandboxedEntry } from '../sandbox';
 *   export default sandboxedEntry('predict', { async run(job, ctx) { … } });
 *
 * Progress, logs, results and errors travel back over IPC; the host forwards
 * them to the owner's socket.io room exactly as for in-process processors.
 */
import type { SandboxedJob } from 'bullmq';
import { parseEnv, workersEnvSchema } from '../common/env';
import { createLogger } from '../common/log';
import type { QueueName } from '../common/queues';
import { createDb } from '../db/client';
import { runHandler, type JobHandlers, type ProcessorContext, type ProcessorJob } from './processor';
import { createRealtime } from './realtime';

let context: ProcessorContext | undefined;

function childContext(queue: string): ProcessorContext {
  if (context) return context;
  const env = parseEnv(workersEnvSchema, `workers sandbox (${queue})`);
  const log = createLogger('workers', env).child(`${queue}:sandbox`);
  context = {
    db: createDb(env.DATABASE_URL, { max: 2, applicationName: `crosslink-workers-${queue}-sandbox`, log }),
    env,
    realtime: createRealtime(env.REDIS_URL, env.REDIS_PREFIX, {
      onError: (err) => log.error(`realtime redis: ${err.message}`),
      connectionName: `crosslink-${queue}-sandbox-emitter`
    }),
    log
  };
  return context;
}

export function sandboxedEntry<Q extends QueueName>(queue: Q, handlers: JobHandlers<Q>) {
  return async function sandboxedProcessor(job: SandboxedJob, _token?: string, signal?: AbortSignal): Promise<unknown> {
    return runHandler(queue, handlers, job as ProcessorJob<unknown>, childContext(queue), signal);
  };
}
