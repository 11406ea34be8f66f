/**
 * The Redis extension, used for what it is for: syncing documents and
 * awareness between nodes under `<prefix>:collab:`. Two changes (checked
 * against 3.4.4):
 * - Its per-document Redis lock around onStoreDocument is off. A node that
 *   misses the lock skips its store silently and never retries, so changes
 *   only it had could be lost, and with Redis down nothing would be stored at
 *   all. Postgres serialises concurrent stores of one document already (the
 *   upsert's row lock, held through the projector), and Persistence stores
 *   after remote changes too, so every node's last store holds all it saw.
 * - Publishing failures are logged, not rethrown: Hocuspocus calls onChange,
 *   onAwarenessUpdate and beforeBroadcastStateless without awaiting them, so
 *   a rejection (Redis down) would be unhandled and end the process.
 * Its two ioredis connections are closed on `destroy()` (`clients`).
 */
import { Redis as RedisExtension, type RedisInstance } from '@hocuspocus/extension-redis';
import type { beforeBroadcastStatelessPayload, onAwarenessUpdatePayload, onChangePayload } from '@hocuspocus/server';
import { Redis as IORedis } from 'ioredis';
import type { CollabLogger } from './context';
import type { StoreState } from './state';

function redisSyncClass(log: CollabLogger) {
  return class RedisSync extends RedisExtension {
    async onStoreDocument() {}
    async afterStoreDocument() {}
    async onChange(data: onChangePayload) {
      await super.onChange(data).catch((err) => log.warn('redis publish (change) failed:', err?.message ?? err));
    }
    async onAwarenessUpdate(data: onAwarenessUpdatePayload) {
      return super.onAwarenessUpdate(data).catch((err) => {
        log.warn('redis publish (awareness) failed:', err?.message ?? err);
        return undefined;
      });
    }
    async beforeBroadcastStateless(data: beforeBroadcastStatelessPayload) {
      return super.beforeBroadcastStateless(data).catch((err) => {
        log.warn('redis publish (stateless) failed:', err?.message ?? err);
        return 0;
      });
    }
  };
}

/** Builds the extension and tells `state` which transactions came from other nodes. */
export function redisSync(state: StoreState, opts: { redisUrl: string; prefix: string; disconnectDelayMs: number }) {
  const { log } = state;
  const clients: IORedis[] = [];
  const RedisSync = redisSyncClass(log);
  const extension = new RedisSync({
    prefix: `${opts.prefix}:collab`,
    disconnectDelay: opts.disconnectDelayMs,
    createClient: () => {
      const client = new IORedis(opts.redisUrl, { connectionName: 'crosslink-collab' });
      client.on('error', (err) => log.warn('redis:', err.message));
      clients.push(client);
      // The extension is typed against its own ioredis 5; the client API it uses is the same in 6.
      return client as unknown as RedisInstance;
    }
  });
  state.fromOtherNode = (origin) => origin === extension.redisTransactionOrigin;
  return { extension, clients };
}
