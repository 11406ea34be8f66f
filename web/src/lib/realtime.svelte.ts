/**
 * The browser's live channel: one socket.io connection per tab, authenticated
 * by the session cookie. Notifications feed the bell; job progress feeds any
 * page that shows a long task.
 */
import { io, type Socket } from 'socket.io-client';
import { REALTIME_PATH } from '$common/realtime-events';
import type { ClientToServerEvents, ServerToClientEvents } from '$common/realtime-events';

export type LiveNotification = {
  id: string;
  kind: string;
  title: string;
  body: string | null;
  link: string | null;
  read_at?: string | null;
  created_at?: string;
  createdAt?: string;
};

/** Counts a job may report beside done/total (an import sends registered/duplicates/invalid/status). */
export type JobProgressCounts = { registered?: number; duplicates?: number; invalid?: number; status?: string; [key: string]: unknown };

export type JobProgress = {
  jobId: string;
  queue: string;
  name: string;
  done?: number;
  total?: number;
  message?: string;
  /** `progress.data` of the last `job:progress` event, when the job sends one. */
  data?: JobProgressCounts;
  state: 'active' | 'completed' | 'failed';
  error?: string;
  /** Date.now() when the last event for this job arrived. */
  updatedAt?: number;
};

class Realtime {
  connected = $state(false);
  notifications = $state<LiveNotification[]>([]);
  unread = $state(0);
  jobs = $state<Record<string, JobProgress>>({});
  /** Why the server ended this tab's live channel (signed out elsewhere, token revoked); null while it is fine. */
  ended = $state<string | null>(null);
  #socket: Socket<ServerToClientEvents, ClientToServerEvents> | null = null;

  start(initial: { notifications: LiveNotification[]; unread: number }) {
    this.notifications = initial.notifications;
    this.unread = initial.unread;
    if (this.#socket) return;
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({ path: REALTIME_PATH, withCredentials: true });
    this.#socket = socket;
    socket.on('connect', () => (this.connected = true));
    socket.on('disconnect', () => (this.connected = false));
    // The server disconnects right after this and socket.io does not reconnect a server-side disconnect.
    socket.on('access:ended', ({ message }) => (this.ended = message));
    socket.on('notification', (n) => {
      this.notifications = [{ ...n, read_at: null } as LiveNotification, ...this.notifications].slice(0, 50);
      this.unread += 1;
    });
    socket.on('notifications:unread', ({ count }) => (this.unread = count));
    socket.on('job:progress', (e) => {
      const p = typeof e.progress === 'number' ? { done: e.progress, total: 100 } : e.progress;
      // Jobs may send counts in `progress.data` (an import: registered, duplicates, invalid, status).
      const data = typeof e.progress === 'number' ? this.jobs[e.jobId]?.data : ((e.progress.data as JobProgressCounts | undefined) ?? this.jobs[e.jobId]?.data);
      this.jobs[e.jobId] = { jobId: e.jobId, queue: e.queue, name: e.name, ...p, data, state: 'active', updatedAt: Date.now() };
    });
    socket.on('job:completed', (e) => {
      const prev = this.jobs[e.jobId];
      this.jobs[e.jobId] = { ...(prev ?? { jobId: e.jobId, queue: e.queue, name: e.name }), state: 'completed', updatedAt: Date.now() };
    });
    socket.on('job:failed', (e) => {
      const prev = this.jobs[e.jobId];
      this.jobs[e.jobId] = { ...(prev ?? { jobId: e.jobId, queue: e.queue, name: e.name }), state: 'failed', error: e.error?.message, updatedAt: Date.now() };
    });
  }

  stop() {
    this.#socket?.disconnect();
    this.#socket = null;
    this.connected = false;
  }

  async markAllRead() {
    const res = await fetch('/api/v1/notifications/read', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ids: 'all' })
    });
    if (res.ok) {
      this.unread = 0;
      const now = new Date().toISOString();
      this.notifications = this.notifications.map((n) => ({ ...n, read_at: n.read_at ?? now }));
    }
  }
}

export const realtime = new Realtime();
