/**
 * One logger for every process: pino underneath, created once per process by
 * `createLogger('web' | 'collab' | 'workers', env)` from the parsed env
 * (LOG_LEVEL, LOG_FORMAT, NODE_ENV in common/env.ts), with a child per module
 * (`log.child('rate-limit')`).
 *
 * Calls read like console's, message first: `log.warn('storing x failed:', err)`.
 * An Error among the arguments becomes pino's `err` (type, message, stack and
 * its `code`), and its message and code are appended to the line's text, so the
 * line says what went wrong on its own; a plain object's keys become fields;
 * anything else is appended to the text. Levels below LOG_LEVEL cost one
 * comparison.
 *
 * Output: debug and info on stdout, warn and error on stderr (the launcher keeps
 * stdout back while starting and always shows stderr). `json` (default under
 * NODE_ENV=production) writes pino's JSON lines; `pretty` (default otherwise,
 * and what `npm start` asks its children for) one short line
 * `[web:module] WARN text key=value`, and an error's stack below it at level
 * error. Pretty is rendered here from pino's own line instead of by pino-pretty:
 * a dozen lines, not a dependency with its own transport thread.
 */
import { inspect } from 'node:util';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** What code that logs needs; test doubles implement just this. */
export interface Logger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

/** A process's logger (or a module's child of it). */
export interface AppLogger extends Logger {
  readonly level: LogLevel;
  /** The same logger with `module` on every line (`[web:api]` in pretty output). */
  child(module: string): AppLogger;
  /** The pino logger underneath, for libraries that take one. */
  readonly pino: PinoLogger;
}

/** The part of a parsed env (common/env.ts) the logger reads. */
export interface LogSettings {
  LOG_LEVEL: LogLevel;
  LOG_FORMAT?: LogFormat;
  NODE_ENV?: string;
}

export interface LogOutput {
  write(line: string): unknown;
}

export interface CreateLoggerOptions {
  /** Where debug/info lines go (default: fd 1, written synchronously so nothing is lost at exit). */
  stdout?: LogOutput;
  /** Where warn/error lines go (default: fd 2). */
  stderr?: LogOutput;
}

export function logFormat(env: Pick<LogSettings, 'LOG_FORMAT' | 'NODE_ENV'>): LogFormat {
  return env.LOG_FORMAT ?? (env.NODE_ENV === 'production' ? 'json' : 'pretty');
}

export function createLogger(processName: string, env: LogSettings, options: CreateLoggerOptions = {}): AppLogger {
  const format = logFormat(env);
  const stdout = options.stdout ?? pino.destination({ fd: 1, sync: true });
  const stderr = options.stderr ?? pino.destination({ fd: 2, sync: true });
  const sink = (out: LogOutput): DestinationStream => (format === 'pretty' ? { write: (line) => void out.write(prettyLine(line)) } : (out as DestinationStream));
  const streams = pino.multistream(
    [
      { level: 'debug', stream: sink(stdout) },
      { level: 'warn', stream: sink(stderr) }
    ],
    // Each line goes to the one stream of the highest level it reaches, not to both.
    { dedupe: true }
  );
  const root = pino(
    {
      name: processName,
      level: env.LOG_LEVEL,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) }
    },
    streams
  );
  return wrap(root);
}

function wrap(p: PinoLogger, module?: string): AppLogger {
  const at =
    (level: Exclude<LogLevel, 'silent'>) =>
    (message: unknown, ...args: unknown[]) => {
      if (!p.isLevelEnabled(level)) return;
      const { fields, text } = lineOf([message, ...args]);
      p[level](fields, text);
    };
  return {
    get level() {
      return p.level as LogLevel;
    },
    pino: p,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child(name: string) {
      const path = module ? `${module}:${name}` : name;
      return wrap(p.child({ module: path }), path);
    }
  };
}

/** console-style arguments → pino's merge object and message. */
function lineOf(args: unknown[]): { fields: Record<string, unknown>; text: string } {
  const fields: Record<string, unknown> = {};
  const words: string[] = [];
  for (const a of args) {
    if (typeof a === 'string') words.push(a);
    else if (a instanceof Error) {
      if (!fields.err) fields.err = a;
      words.push(errorText(a));
    } else if (a && typeof a === 'object' && Object.getPrototypeOf(a) === Object.prototype) Object.assign(fields, a);
    else words.push(typeof a === 'number' || typeof a === 'boolean' || typeof a === 'bigint' ? String(a) : inspect(a, { depth: 3, breakLength: Infinity }));
  }
  return { fields, text: words.join(' ') };
}

function errorText(err: Error): string {
  const code = (err as { code?: unknown }).code;
  const message = err.message || err.name;
  return code !== undefined && code !== null && code !== '' ? `${message} (${String(code)})` : message;
}

// ---------------------------------------------------------------- pretty

const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'module', 'msg', 'err']);

/** One pino JSON line as `[name:module] LEVEL text key=value`, plus the stack for errors. */
export function prettyLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const scope = o.module ? `${String(o.name)}:${String(o.module)}` : String(o.name);
  const level = String(o.level);
  let line = `[${scope}] ${level === 'info' ? '' : `${level.toUpperCase()} `}${String(o.msg ?? '')}`;
  for (const [k, v] of Object.entries(o)) {
    if (!HIDDEN.has(k)) line += ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`;
  }
  const stack = (o.err as { stack?: unknown } | undefined)?.stack;
  if (level === 'error' && typeof stack === 'string') line += `\n${stack.replace(/^/gm, '    ')}`;
  return `${line}\n`;
}
