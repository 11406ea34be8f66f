/**
 * socket.io events from outside the web process: `@socket.io/redis-emitter`
 * publishes on the same Redis channels the web nodes' `@socket.io/redis-adapter`
 * subscribes to, so an event for `user:<id>` reaches whichever node that user
 * is connected to.
 */
import { Emitter } from '@socket.io/redis-emitter';
import { Redis } from 'ioredis';
import {
  orgRoom,
  realtimeRedisKey,
  userRoom,
  type ServerToClientEvents
} from '../common/realtime-events';

export type RealtimeEmitter = Emitter<ServerToClientEvents>;

export interface Realtime {
  emitter: RealtimeEmitter;
  toUser(userId: string): ReturnType<RealtimeEmitter['to']>;
  toOrg(organizationId: string): ReturnType<RealtimeEmitter['to']>;
  /** Flushes queued publishes, then quits the Redis client. Idempotent. */
  close(): Promise<void>;
}

export function createRealtime(
  redisUrl: string,
  prefix: string,
  /** `onError`: Redis trouble, for the caller's logger. */
  options: { onError: (err: Error) => void; connectionName?: string }
): Realtime {
  const { onError } = options;
  const redis = new Redis(redisUrl, {
    connectionName: options.connectionName ?? 'crosslink-realtime-emitter',
    // A publish that cannot be sent fails after a few reconnect attempts instead of piling up.
    maxRetriesPerRequest: 3
  });
  redis.on('error', onError);
  // The emitter fires `publish` and forgets the promise; catch here so a Redis
  // outage is logged instead of crashing the process with an unhandled rejection.
  const publisher = {
    publish: (channel: string, message: Buffer | string) =>
      redis.publish(channel, message).catch((err: Error) => {
        onError(err);
        return 0;
      })
  };
  const emitter = new Emitter<ServerToClientEvents>(publisher, { key: realtimeRedisKey(prefix) });
  let closing: Promise<void> | undefined;
  return {
    emitter,
    toUser: (userId) => emitter.to(userRoom(userId)),
    toOrg: (organizationId) => emitter.to(orgRoom(organizationId)),
    close() {
      closing ??= redis
        .quit()
        .then(() => undefined)
        .catch(() => {
          redis.disconnect();
        });
      return closing;
    }
  };
}
