/**
 * Errors with a code. Every layer throws AppError; the web API turns it into
 * the one error envelope `{ error: { code, message, details } }` with the
 * matching HTTP status, workers record it on the job, the collab-server
 * refuses the connection with it.
 */
export const errorStatus = {
  VALIDATION_ERROR: 400,
  AUTHENTICATION_ERROR: 401,
  AUTHORIZATION_ERROR: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTEGRATION_ERROR: 502,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500
} as const;

export type ErrorCode = keyof typeof errorStatus;

export interface ErrorDetail {
  /** Dotted path of the offending field, e.g. `organization.kind`. */
  field?: string;
  message: string;
  [key: string]: unknown;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
    /** Extra response headers, e.g. Retry-After for RATE_LIMITED. */
    readonly headers: Record<string, string> = {}
  ) {
    super(message);
    this.name = 'AppError';
    this.status = errorStatus[code];
  }

  toJSON() {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details.length ? { details: this.details } : {})
      }
    };
  }
}

export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`);
export const forbidden = (message = 'You do not have permission to do this') =>
  new AppError('AUTHORIZATION_ERROR', message);
export const unauthenticated = (message = 'Sign in or send a valid bearer token') =>
  new AppError('AUTHENTICATION_ERROR', message);

/** Turn a zod error into VALIDATION_ERROR with one detail per bad field. */
export function validationError(
  issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>,
  message = 'The request is not valid'
): AppError {
  return new AppError(
    'VALIDATION_ERROR',
    message,
    issues.map((i) => ({ field: i.path.map(String).join('.') || undefined, message: i.message }))
  );
}
