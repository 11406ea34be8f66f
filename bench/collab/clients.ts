/**
 * bench/collab/clients.ts — real Hocuspocus provider clients, driven by
 * bench/collab/run.ts over IPC (forked; never run by hand).
 *
 * Each client is what a browser tab on a board is: its own WebSocket, its own
 * Y.Doc, a HocuspocusProvider (awareness on) authenticated with its user's
 * session token. Each editor makes one edit every `intervalMs` (random phase):
 * a card move or a tag toggle through common/board.ts, and in the same Yjs
 * transaction it appends `{ s: sequence, t: send time }` to its own Y.Array
 * `bench:<key>`. Every other client on the board observes that array and
 * records receive time − send time (CLOCK_MONOTONIC, shared by all processes).
 *
 * The arrays are part of the document, so after the quiet period each client
 * can check it holds every sequence number of every other editor (loss), and
 * the stored document can be checked the same way.
 */
import { createHash } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { addCards, cardsMap, moveCard, readBoard, readLanes, setTag } from '../../common/board';
import type { ClientSpec, FromClients, ToClients } from './protocol';

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TAGS = ['hit', 'make next', 'urgent', 'sar', 'admet'];

function send(msg: FromClients) {
  process.send!(msg);
}

/** `ws` with its own 'error' listener (a socket closed while connecting errors after the provider let go of it). */
class BenchWebSocket extends WebSocket {
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args);
    this.on('error', () => {});
  }
}

/** Growable Float64Array: 100k+ samples without boxing. */
class Samples {
  buf = new Float64Array(4096);
  n = 0;
  push(v: number) {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = v;
  }
  values() {
    return this.buf.subarray(0, this.n);
  }
}

interface Client {
  spec: ClientSpec;
  doc: Y.Doc;
  socket: HocuspocusProviderWebsocket;
  provider: HocuspocusProvider;
  mine: Y.Array<{ s: number; t: number }>;
  seq: number;
  /** Per peer: highest sequence number seen, count of distinct ones, anomalies. */
  last: Map<string, number>;
  seen: Map<string, number>;
  ready: boolean;
  disconnects: number;
}

const latencies = new Samples();
/** Send time of each latency sample (same index), for a latency-over-time view. */
const sendTimes = new Samples();
let duplicates = 0;
let outOfOrder = 0;
let windowFrom = Infinity;
let windowTo = Infinity;
const sendLags = new Samples();

function connect(spec: ClientSpec, url: string): Client {
  const doc = new Y.Doc();
  const socket = new HocuspocusProviderWebsocket({ url, WebSocketPolyfill: BenchWebSocket });
  const provider = new HocuspocusProvider({ websocketProvider: socket, name: spec.board, document: doc, token: spec.token });
  const client: Client = {
    spec,
    doc,
    socket,
    provider,
    mine: doc.getArray(`bench:${spec.key}`),
    seq: 0,
    last: new Map(),
    seen: new Map(),
    ready: false,
    disconnects: 0
  };
  for (const peer of spec.peers) {
    client.last.set(peer, 0);
    client.seen.set(peer, 0);
    doc.getArray<{ s: number; t: number }>(`bench:${peer}`).observe((event) => {
      const at = nowMs();
      for (const d of event.changes.delta) {
        if (!d.insert) continue;
        for (const item of d.insert as Array<{ s: number; t: number }>) {
          const last = client.last.get(peer)!;
          if (item.s === last + 1) {
            client.seen.set(peer, client.seen.get(peer)! + 1);
            client.last.set(peer, item.s);
          } else if (item.s <= last) duplicates++;
          else {
            outOfOrder++;
            client.seen.set(peer, client.seen.get(peer)! + 1);
            client.last.set(peer, item.s);
          }
          if (item.t >= windowFrom && item.t < windowTo) {
            latencies.push(at - item.t);
            sendTimes.push(item.t);
          }
        }
      }
    });
  }
  provider.on('disconnect', () => {
    if (client.ready) client.disconnects++;
  });
  provider.attach();
  return client;
}

function waitFor(what: string, check: () => boolean, timeoutMs: number, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      setTimeout(tick, everyMs);
    };
    tick();
  });
}

function synced(c: Client, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${c.spec.key} on ${c.spec.board}: not synced within ${timeoutMs} ms`)), timeoutMs);
    c.provider.on('authenticationFailed', ({ reason }: { reason: string }) => {
      clearTimeout(timer);
      reject(new Error(`${c.spec.key} on ${c.spec.board}: refused (${reason})`));
    });
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    if (c.provider.synced) done();
    else c.provider.on('synced', done);
  });
}

/** One edit: a card move (70 %) or a tag toggle, plus the bench entry, in one transaction (one update on the wire). */
function edit(c: Client) {
  const { doc } = c;
  const t = nowMs();
  doc.transact(() => {
    const cards = [...cardsMap(doc).keys()];
    const card = cards[Math.floor(Math.random() * cards.length)];
    if (card) {
      if (Math.random() < 0.7) {
        const lanes = readLanes(doc);
        const lane = lanes[Math.floor(Math.random() * lanes.length)];
        const other = cards[Math.floor(Math.random() * cards.length)];
        moveCard(doc, card, lane.id, other !== card && Math.random() < 0.5 ? { afterId: other } : {});
      } else {
        const tag = TAGS[Math.floor(Math.random() * TAGS.length)];
        const tags = cardsMap(doc).get(card)?.get('tags') as Y.Map<true> | undefined;
        setTag(doc, card, tag, !tags?.has(tag));
      }
    }
    c.mine.push([{ s: ++c.seq, t }]);
  });
}

function percentile(sorted: Float64Array | number[], p: number) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function digestOf(c: Client) {
  const board = readBoard(c.doc);
  const lengths = [c.spec.key, ...c.spec.peers].sort().map((k) => `${k}=${c.doc.getArray(`bench:${k}`).length}`);
  return { board, digest: createHash('sha1').update(JSON.stringify(board)).update(lengths.join(',')).digest('hex') };
}

async function main() {
  let clients: Client[] = [];
  let intervalMs = 1000;
  let cpuAtStart: NodeJS.CpuUsage | null = null;
  let cpuMs = 0;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const loopPerSecond: number[] = [];

  process.on('disconnect', () => process.exit(0)); // the orchestrator went away
  process.on('message', async (msg: ToClients) => {
    try {
      if (msg.type === 'setup') {
        intervalMs = msg.intervalMs;
        const connectMs: number[] = [];
        // Ramp up in batches, each waiting for its sync, like tabs opening over a few seconds.
        for (let i = 0; i < msg.clients.length; i += msg.connectBatch) {
          const batch = msg.clients.slice(i, i + msg.connectBatch).map((spec) => ({ t0: nowMs(), c: connect(spec, msg.url) }));
          await Promise.all(
            batch.map(async ({ t0, c }) => {
              await synced(c, 60_000);
              connectMs.push(nowMs() - t0);
              c.ready = true;
            })
          );
          clients.push(...batch.map((b) => b.c));
        }
        for (const c of clients) if (c.spec.initCards?.length) addCards(c.doc, c.spec.initCards, { userId: c.spec.userId });
        await waitFor('every board to show its cards', () => clients.every((c) => cardsMap(c.doc).size >= msg.cardsPerBoard), 60_000);
        send({ type: 'ready', connectMs });
      } else if (msg.type === 'start') {
        const { startAt, warmupMs, durationMs } = msg;
        windowFrom = startAt + warmupMs;
        windowTo = windowFrom + durationMs;
        const endAt = windowTo;
        const perSecond = monitorEventLoopDelay({ resolution: 1 });
        setTimeout(() => {
          loop.enable();
          perSecond.enable();
          cpuAtStart = process.cpuUsage();
          // Max event-loop delay per second of the window (for run.ts --timeline).
          const tick = setInterval(() => {
            loopPerSecond.push(Math.max(0, perSecond.max / 1e6 - 1));
            perSecond.reset();
            if (nowMs() >= windowTo - 1) {
              clearInterval(tick);
              perSecond.disable();
            }
          }, 1000);
        }, Math.max(0, windowFrom - nowMs()));
        await Promise.all(
          clients.map(async (c) => {
            // Steady rate, random phase, scheduled on absolute times so a late edit does not shift the rest.
            let due = startAt + Math.random() * intervalMs;
            while (due < endAt) {
              const wait = due - nowMs();
              if (wait > 0) await sleep(wait);
              const lag = nowMs() - due;
              if (due >= windowFrom) sendLags.push(lag);
              edit(c);
              due += intervalMs;
            }
          })
        );
        const used = process.cpuUsage(cpuAtStart ?? undefined);
        cpuMs = (used.user + used.system) / 1000;
        loop.disable();
        // Drain: every edit acknowledged by the server (or give up after 15 s and say how many were not).
        await waitFor('acknowledgements', () => clients.every((c) => c.provider.unsyncedChanges === 0), 15_000).catch(() => {});
        const lags = Float64Array.from(sendLags.values()).sort();
        send({
          type: 'drained',
          sent: Object.fromEntries(clients.map((c) => [c.spec.key, c.seq])),
          cpuMs,
          // The histogram holds whole timer periods (1 ms resolution); the delay is what exceeds them.
          loopDelay: { p50: Math.max(0, loop.percentile(50) / 1e6 - 1), p99: Math.max(0, loop.percentile(99) / 1e6 - 1), max: Math.max(0, loop.max / 1e6 - 1) },
          loopPerSecond,
          sendLag: { p99: percentile(lags, 99), max: lags.length ? lags[lags.length - 1] : 0 },
          unacked: clients.reduce((n, c) => n + c.provider.unsyncedChanges, 0)
        });
      } else if (msg.type === 'verify') {
        const complete = () => clients.every((c) => c.spec.peers.every((p) => (c.seen.get(p) ?? 0) >= (msg.sent[p] ?? 0)));
        await waitFor('every update to arrive everywhere', complete, msg.timeoutMs).catch(() => {});
        let pairs = 0;
        let missing = 0;
        for (const c of clients) {
          for (const p of c.spec.peers) {
            pairs++;
            // Both what was observed and what the document holds must be complete.
            const held = c.doc.getArray(`bench:${p}`).length;
            missing += Math.max(0, (msg.sent[p] ?? 0) - Math.min(c.seen.get(p) ?? 0, held));
          }
        }
        const digests: Array<{ key: string; board: string; digest: string }> = [];
        const boards = new Map<string, { board: string; digest: string; boardJson: string }>();
        for (const c of clients) {
          const d = digestOf(c);
          digests.push({ key: c.spec.key, board: c.spec.board, digest: d.digest });
          if (!boards.has(c.spec.board)) boards.set(c.spec.board, { board: c.spec.board, digest: d.digest, boardJson: JSON.stringify(d.board) });
        }
        send({
          type: 'result',
          latencies: Float64Array.from(latencies.values()),
          sendTimes: Float64Array.from(sendTimes.values()),
          pairs,
          missing,
          duplicates,
          outOfOrder,
          reconnects: clients.reduce((n, c) => n + c.disconnects, 0),
          digests,
          boards: [...boards.values()]
        });
      } else if (msg.type === 'close') {
        for (const c of clients) {
          c.ready = false;
          c.socket.connect = async () => {}; // no reconnect timer may revive it
          c.provider.destroy();
          c.socket.destroy();
        }
        clients = [];
        await sleep(100);
        process.exit(0);
      }
    } catch (error) {
      send({ type: 'error', message: (error as Error)?.stack ?? String(error) });
    }
  });
}

void main();
