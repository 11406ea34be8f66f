/**
 * Sign-in throttling with rate-limiter-flexible on Redis (shared by every web
 * node). A limit must not become a way to lock someone else out, so nothing
 * here refuses an account's owner because of what happened elsewhere:
 *
 *  - per (address, account): failed guesses from one address on one account
 *    (refused with 429 past the limit: the guesser, not the owner at another desk);
 *  - per address: failed guesses from one address over all accounts (password
 *    spraying; 429 for that address only);
 *  - per account, from anywhere: past a few failures every further attempt on
 *    the account waits a growing, capped delay before it is evaluated. That
 *    slows guessing from many addresses, while the owner with the right
 *    password still gets in, at worst after `maxDelayMs`.
 *
 * Both address limits are consumed before the password is checked (so a burst
 * of parallel guesses cannot slip past a check-then-count) and given back when
 * the attempt was not a wrong password. The address is `event.getClientAddress()`:
 * the socket's peer unless adapter-node's ADDRESS_HEADER/XFF_DEPTH say which proxy
 * header to trust, so a client cannot pick its own address by sending X-Forwarded-For.
 *
 * Redis down: sign-in fails closed with 503. Failing open would allow unlimited
 * guessing whenever Redis is unreachable, and an attacker who can make it so.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '$common/errors';
import { getEnv, getLog, getRedis } from './context';
import { serviceUnavailable } from './unavailable';

export const LOGIN_LIMITS = {
  /** Failed attempts from one address on one account per window. */
  perAddressAccount: { points: 5, duration: 15 * 60 },
  /** Failed attempts from one address, all accounts together, per window. */
  perAddress: { points: 20, duration: 15 * 60 },
  /**
   * Failures on one account (any address) that cost nothing; each further
   * attempt waits firstDelayMs, doubling per failure, at most maxDelayMs.
   * The count is cleared by a successful sign-in or after `duration` seconds.
   */
  accountSlowdown: { freeFailures: 5, firstDelayMs: 500, maxDelayMs: 8000, duration: 60 * 60 }
} as const;

interface LoginLimiters {
  addressAccount: RateLimiterRedis;
  address: RateLimiterRedis;
  accountFailures: RateLimiterRedis;
}

let limiters: LoginLimiters | undefined;

function getLimiters(): LoginLimiters {
  if (!limiters) {
    const storeClient = getRedis();
    const prefix = `${getEnv().REDIS_PREFIX}:rl:login`;
    const { perAddressAccount, perAddress, accountSlowdown } = LOGIN_LIMITS;
    limiters = {
      addressAccount: new RateLimiterRedis({ storeClient, keyPrefix: `${prefix}:address-account`, ...perAddressAccount }),
      address: new RateLimiterRedis({ storeClient, keyPrefix: `${prefix}:address`, ...perAddress }),
      // Counted with penalty(), never refused: the points only measure failures.
      accountFailures: new RateLimiterRedis({
        storeClient,
        keyPrefix: `${prefix}:account`,
        points: Number.MAX_SAFE_INTEGER,
        duration: accountSlowdown.duration
      })
    };
  }
  return limiters;
}

/** Delay before evaluating an attempt on an account that has `failures` recent failures. */
export function accountDelayMs(failures: number): number {
  const { freeFailures, firstDelayMs, maxDelayMs } = LOGIN_LIMITS.accountSlowdown;
  if (failures < freeFailures) return 0;
  return Math.min(maxDelayMs, firstDelayMs * 2 ** Math.min(30, failures - freeFailures));
}

function tooMany(res: RateLimiterRes, what: string): AppError {
  const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new AppError('RATE_LIMITED', `Too many failed sign-in attempts ${what}; try again in ${seconds} s`, [], {
    'Retry-After': String(seconds)
  });
}

/** A Redis failure inside the limiter is "cannot check the limits": 503, never a free pass. */
async function store<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof RateLimiterRes) throw err;
    getLog('rate-limit').warn('sign-in rate limiter unavailable:', err);
    throw serviceUnavailable('Sign-in');
  }
}

async function consume(limiter: RateLimiterRedis, key: string, what: string): Promise<void> {
  try {
    await store(() => limiter.consume(key));
  } catch (err) {
    if (err instanceof RateLimiterRes) throw tooMany(err, what);
    throw err;
  }
}

/**
 * Run `attempt` (check the password) under the limits. A wrong password
 * (AUTHENTICATION_ERROR) counts against the address, the pair and the
 * account; a success clears the pair and the account; anything else costs nothing.
 */
export async function throttleLogin<T>(address: string, email: string, attempt: () => Promise<T>): Promise<T> {
  const { addressAccount, address: addressLimiter, accountFailures } = getLimiters();
  const account = email.trim().toLowerCase();
  const pair = `${address}|${account}`;

  await consume(addressAccount, pair, 'for this account from your network');
  try {
    await consume(addressLimiter, address, 'from your network');
  } catch (err) {
    await store(() => addressAccount.reward(pair, 1)).catch(() => {});
    throw err;
  }

  const failures = (await store(() => accountFailures.get(account)))?.consumedPoints ?? 0;
  const delay = accountDelayMs(failures);
  if (delay) await sleep(delay);

  try {
    const result = await attempt();
    await store(() => Promise.all([addressAccount.delete(pair), accountFailures.delete(account), addressLimiter.reward(address, 1)]));
    return result;
  } catch (err) {
    if (err instanceof AppError && err.code === 'AUTHENTICATION_ERROR') {
      await store(() => accountFailures.penalty(account, 1));
    } else {
      await store(() => Promise.all([addressAccount.reward(pair, 1), addressLimiter.reward(address, 1)])).catch(() => {});
    }
    throw err;
  }
}
