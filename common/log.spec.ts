import { describe, expect, it } from 'vitest';
import { AppError } from './errors';
import { logEnvSchema, parseEnv } from './env';
import { createLogger, prettyLine, type LogSettings } from './log';

function capture(processName: string, env: LogSettings) {
  const out: string[] = [];
  const err: string[] = [];
  const log = createLogger(processName, env, { stdout: { write: (l) => out.push(l) }, stderr: { write: (l) => err.push(l) } });
  return { log, out, err, json: (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createLogger', () => {
  it('drops lines below LOG_LEVEL', () => {
    const c = capture('web', { LOG_LEVEL: 'warn', LOG_FORMAT: 'json' });
    c.log.debug('not this');
    c.log.info('nor this');
    c.log.child('api').info('nor a child’s');
    c.log.warn('this');
    c.log.error('and this');
    expect(c.out).toEqual([]);
    expect(c.json(c.err).map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'this'],
      ['error', 'and this']
    ]);
  });

  it('honours LOG_LEVEL as the env schema parses it', () => {
    const c = capture('workers', { ...parseEnv(logEnvSchema, 'workers', { LOG_LEVEL: 'error', NODE_ENV: 'production' }) });
    c.log.warn('dropped');
    c.log.error('kept');
    expect(c.json(c.err).map((l) => l.msg)).toEqual(['kept']);
    const debug = capture('workers', parseEnv(logEnvSchema, 'workers', { LOG_LEVEL: 'debug', NODE_ENV: 'production' }));
    debug.log.debug('shown');
    expect(debug.json(debug.out).map((l) => [l.level, l.msg])).toEqual([['debug', 'shown']]);
  });

  it('writes debug and info to stdout, warn and error to stderr, each line once', () => {
    const c = capture('collab', { LOG_LEVEL: 'debug', LOG_FORMAT: 'json' });
    c.log.debug('d');
    c.log.info('i');
    c.log.warn('w');
    c.log.error('e');
    expect(c.json(c.out).map((l) => l.msg)).toEqual(['d', 'i']);
    expect(c.json(c.err).map((l) => l.msg)).toEqual(['w', 'e']);
  });

  it('names the process and the module, and keeps an error’s code and message in the line', () => {
    const c = capture('web', { LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    c.log.child('rate-limit').error('limiter unavailable:', cause, { attempt: 2 });
    c.log.warn('bad job', new AppError('VALIDATION_ERROR', 'smiles is required'));
    const [line, app] = c.json(c.err);
    expect(line).toMatchObject({
      name: 'web',
      module: 'rate-limit',
      level: 'error',
      attempt: 2,
      msg: 'limiter unavailable: connect ECONNREFUSED 127.0.0.1:6379 (ECONNREFUSED)',
      err: { type: 'Error', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:6379' }
    });
    expect(typeof (line.err as { stack?: unknown }).stack).toBe('string');
    expect(app).toMatchObject({ msg: 'bad job smiles is required (VALIDATION_ERROR)', err: { code: 'VALIDATION_ERROR' } });
  });

  it('takes console-style arguments: numbers and other values join the text', () => {
    const c = capture('web', { LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
    c.log.info('stored', 3, 'documents in', [1, 2]);
    expect(c.json(c.out)[0].msg).toBe('stored 3 documents in [ 1, 2 ]');
  });

  it('defaults to JSON lines under NODE_ENV=production and short lines otherwise', () => {
    const prod = capture('web', { LOG_LEVEL: 'info', NODE_ENV: 'production' });
    prod.log.info('listening on http://127.0.0.1:3000');
    expect(JSON.parse(prod.out[0])).toMatchObject({ name: 'web', msg: 'listening on http://127.0.0.1:3000' });

    const dev = capture('collab', { LOG_LEVEL: 'info', NODE_ENV: 'development' });
    dev.log.info('listening on ws://127.0.0.1:1234');
    dev.log.child('db').warn('idle client error:', Object.assign(new Error('terminated'), { code: '57P01' }), { attempt: 2 });
    expect(dev.out).toEqual(['[collab] listening on ws://127.0.0.1:1234\n']);
    expect(dev.err).toEqual(['[collab:db] WARN idle client error: terminated (57P01) attempt=2\n']);
  });

  it('prints an error’s stack under the line at level error in the short format', () => {
    const c = capture('web', { LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' });
    c.log.error('unhandled error:', new TypeError('x is undefined'));
    const [first, ...stack] = c.err[0].trimEnd().split('\n');
    expect(first).toBe('[web] ERROR unhandled error: x is undefined');
    expect(stack[0]).toBe('    TypeError: x is undefined');
    expect(stack.length).toBeGreaterThan(1);
  });
});

describe('prettyLine', () => {
  it('passes a line that is not JSON through unchanged', () => {
    expect(prettyLine('plain text\n')).toBe('plain text\n');
  });
});
