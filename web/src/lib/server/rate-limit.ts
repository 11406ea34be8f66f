/**
 * Login throttling with rate-limiter-flexible on Redis (shared by every web
 * node). Two limits, as OWASP suggests: attempts per IP (stops spraying many
 * accounts) and consecutive failures per account (stops guessing one
 * password from many IPs). Exceeding either is 429 with Retry-After.
 */
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '$common/errors';
import { getEnv, getRedis } from './context';

export const LOGIN_LIMITS = {
  /** Attempts (good or bad) per IP per window. */
  perIp: { points: 30, duration: 15 * 60 },
  /** Failed attempts per account before it is locked for the window. */
  perAccount: { points: 5, duration: 15 * 60 }
} as const;

let limiters: { ip: RateLimiterRedis; account: RateLimiterRedis } | undefined;

function getLimiters() {
  if (!limiters) {
    const storeClient = getRedis();
    const prefix = getEnv().REDIS_PREFIX;
    limiters = {
      ip: new RateLimiterRedis({ storeClient, keyPrefix: `${prefix}:rl:login:ip`, ...LOGIN_LIMITS.perIp }),
      account: new RateLimiterRedis({ storeClient, keyPrefix: `${prefix}:rl:login:account`, ...LOGIN_LIMITS.perAccount })
    };
  }
  return limiters;
}

function tooMany(res: RateLimiterRes, what: string): AppError {
  const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new AppError('RATE_LIMITED', `Too many sign-in attempts ${what}; try again in ${seconds} s`, [], {
    'Retry-After': String(seconds)
  });
}

/**
 * Run `attempt` under both limits. Failures count against the account;
 * a success clears the account's failures.
 */
export async function throttleLogin<T>(ip: string, email: string, attempt: () => Promise<T>): Promise<T> {
  const { ip: ipLimiter, account } = getLimiters();
  const accountKey = email.trim().toLowerCase();
  const current = await account.get(accountKey);
  if (current && current.consumedPoints >= LOGIN_LIMITS.perAccount.points) throw tooMany(current, 'for this account');
  try {
    await ipLimiter.consume(ip);
  } catch (res) {
    if (res instanceof RateLimiterRes) throw tooMany(res, 'from your network');
    throw res;
  }
  try {
    const result = await attempt();
    await account.delete(accountKey);
    return result;
  } catch (err) {
    if (err instanceof AppError && err.code === 'AUTHENTICATION_ERROR') {
      await account.penalty(accountKey, 1);
    }
    throw err;
  }
}
