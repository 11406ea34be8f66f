/**
 * The reference for bench/collab: a bare Hocuspocus 3 server, no extensions,
 * no hooks, documents in memory only. Same library, same Node, same machine
 * as Crosslink's collab-server, so the difference is what Crosslink adds
 * (auth, message guard, persistence + projection + history + audit, Redis).
 *
 *   COLLAB_PORT=… node --import tsx bench/collab/bare-server.ts
 *
 * Stops on SIGTERM/SIGINT (Hocuspocus's own signal handling).
 */
import { Server } from '@hocuspocus/server';

const port = Number(process.env.COLLAB_PORT ?? 0);
const server = new Server({ port, address: '127.0.0.1', quiet: true });
await server.listen();
console.log(`[bare] listening on ws://127.0.0.1:${server.address.port}`);
