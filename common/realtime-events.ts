/**
 * The one typed socket.io event map (after Immich's `ClientEvent`/`ServerEvent`
 * maps), shared by the socket.io server (web/realtime), the workers' Redis
 * emitter (workers/host.ts) and the browser's socket.io-client:
 *
 *   import { io, type Socket } from 'socket.io-client';
 *   import type { ServerToClientEvents, ClientToServerEvents } from '$common/realtime-events';
 *   const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({ path: REALTIME_PATH });
 *
 * Safe to import in the browser: no runtime dependencies.
 */
import type { AccessLossReason } from './collab-notices';

/** HTTP path the socket.io server listens on (same origin as the web app). */
export const REALTIME_PATH = '/socket.io';

/** Room every socket of a user joins; workers emit job and notification events here. */
export const userRoom = (userId: string) => `user:${userId}` as const;
/** Room every socket joins for the organisation it is working in. */
export const orgRoom = (organizationId: string) => `org:${organizationId}` as const;

/**
 * Redis pub/sub channel prefix shared by `@socket.io/redis-adapter` (web nodes)
 * and `@socket.io/redis-emitter` (workers). Both sides must agree, and it is
 * namespaced by REDIS_PREFIX so stacks sharing one Redis never see each
 * other's events.
 */
export const realtimeRedisKey = (redisPrefix: string) => `${redisPrefix || 'crosslink'}:socket.io`;

/** Structured progress a job reports with `job.updateProgress({ done, total, message })`. */
export interface JobProgressData {
  done: number;
  total: number;
  message?: string;
  /** Job-specific figures (small JSON), e.g. an import's registered/duplicate/invalid counts. */
  data?: Record<string, unknown>;
}
/** A plain percentage (0–100) is accepted too. */
export type JobProgressPayload = JobProgressData | number;

export interface JobEventBase {
  jobId: string;
  /** Queue name from common/queues.ts (`notifications`, `maintenance`, …). */
  queue: string;
  /** Job name within the queue (`deliver`, `purge-expired`, …). */
  name: string;
  /** The user the job belongs to; the event is sent to `user:<ownerUserId>` only. */
  ownerUserId: string;
}

export interface JobProgressEvent extends JobEventBase {
  progress: JobProgressPayload;
}

export interface JobCompletedEvent extends JobEventBase {
  /** The processor's (small, JSON) return value. */
  result?: unknown;
}

export interface JobFailedEvent extends JobEventBase {
  /**
   * `code` is an AppError code (common/errors.ts). Messages of unexpected
   * (non-AppError) failures are not sent to browsers; they read
   * "The job failed unexpectedly" and the detail stays in the job's failedReason.
   */
  error: { code: string; message: string };
  /** Attempts made so far (including this one). */
  attemptsMade: number;
  /** True when BullMQ will try again (the job is not finally failed). */
  willRetry: boolean;
}

export interface NotificationEvent {
  id: string;
  kind: string;
  title: string;
  body: string | null;
  link: string | null;
  organizationId: string | null;
  /** ISO 8601. */
  createdAt: string;
}

export interface ServerToClientEvents {
  'job:progress': (event: JobProgressEvent) => void;
  'job:completed': (event: JobCompletedEvent) => void;
  'job:failed': (event: JobFailedEvent) => void;
  /** A new notification for this user (already persisted). */
  notification: (notification: NotificationEvent) => void;
  /** Unread notification count changed (e.g. marked read in another tab). */
  'notifications:unread': (event: { count: number }) => void;
  /** Sent just before the server disconnects this socket because its session or token ended. */
  'access:ended': (event: { reason: Extract<AccessLossReason, 'signed-out' | 'token-revoked'>; message: string }) => void;
}

export type NotificationsReadAck =
  | { ok: true; updated: number; unread: number }
  | { ok: false; error: { code: string; message: string } };

export interface ClientToServerEvents {
  /** Mark some (ids) or all notifications of the signed-in user read. */
  'notifications:read': (ids: string[] | 'all', ack?: (result: NotificationsReadAck) => void) => void;
}

/** Server-to-server events (socket.io `serverSideEmit`); none yet. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface InterServerEvents {}

/** What the auth middleware stores on `socket.data`. */
export interface SocketData {
  userId: string;
  organizationId: string | null;
  role: string | null;
  via: 'session' | 'api_token';
}
