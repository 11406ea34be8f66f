/**
 * Messages between bench/collab/run.ts (the orchestrator) and each
 * bench/collab/clients.ts process (IPC, `serialization: 'advanced'`, so typed
 * arrays travel as they are).
 *
 * Times are milliseconds of CLOCK_MONOTONIC (`process.hrtime`), which every
 * process on the machine shares, so a send time taken in one client process
 * and a receive time taken in another can be subtracted.
 */

/** One provider connection: one user (token) editing one board (document). */
export interface ClientSpec {
  /** Unique key of this editor; its updates go into the Y.Array `bench:<key>`. */
  key: string;
  /** Document name, e.g. `library:<uuid>`. */
  board: string;
  /** Session token of the user (the bare server ignores it). */
  token: string;
  userId: string;
  /** Keys of the other editors on the same board (whose updates this client receives). */
  peers: string[];
  /** Only the first editor of each board: add these cards (common/board.ts addCards) after connecting. */
  initCards?: string[];
}

export type ToClients =
  | {
      type: 'setup';
      url: string;
      clients: ClientSpec[];
      /** Number of cards every board must show before editing starts. */
      cardsPerBoard: number;
      /** Each editor edits once per this many ms (random phase). */
      intervalMs: number;
      /** Connections opened at once while ramping up. */
      connectBatch: number;
    }
  | { type: 'start'; startAt: number; warmupMs: number; durationMs: number }
  /** Everyone has stopped; `sent` is every editor's count. Wait up to `timeoutMs` for stragglers, then report. */
  | { type: 'verify'; sent: Record<string, number>; timeoutMs: number }
  | { type: 'close' };

export interface BoardDigest {
  board: string;
  /** sha1 of the board as plain data plus every bench array's length. */
  digest: string;
  /** readBoard() of one client, for comparing with the stored state (JSON). */
  boardJson: string;
}

export type FromClients =
  | { type: 'ready'; connectMs: number[] }
  | {
      type: 'drained';
      sent: Record<string, number>;
      /** CPU this process used during the measurement window (ms). */
      cpuMs: number;
      /** Event-loop delay of this process during the window (ms). */
      loopDelay: { p50: number; p99: number; max: number };
      /** Max event-loop delay in each second of the window (ms). */
      loopPerSecond: number[];
      /** How late edits left compared with their schedule (ms): the client's own overload. */
      sendLag: { p99: number; max: number };
      /** Edits still not acknowledged by the server when the drain timed out. */
      unacked: number;
    }
  | {
      type: 'result';
      /** Receive − send of every update sent in the window, as seen by every other client on its board (ms). */
      latencies: Float64Array;
      /** Send time of each sample in `latencies` (same index). */
      sendTimes: Float64Array;
      /** (receiver, sender) pairs checked and the updates missing from them after the quiet period. */
      pairs: number;
      missing: number;
      /** Updates seen twice or out of order (should be 0). */
      duplicates: number;
      outOfOrder: number;
      /** Provider disconnects after the initial connect (a resync after a reconnect can hide loss as delay). */
      reconnects: number;
      digests: Array<{ key: string; board: string; digest: string }>;
      boards: BoardDigest[];
    }
  | { type: 'error'; message: string };
