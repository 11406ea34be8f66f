/**
 * The machine's HTTP floor for bench/api: plain `node:http` answering every
 * request with one fixed body (the registry list's own JSON, captured by
 * run.ts), no framework, no database. What this reaches with the same load
 * generator on the same cores is the most any route can do here.
 *
 *   node bench/api/bare-http.ts <port> <body.json>   (run.ts starts it)
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';

const [port, bodyPath] = process.argv.slice(2);
const body = readFileSync(bodyPath);
http
  .createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  })
  .listen(Number(port), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => process.exit(0));
