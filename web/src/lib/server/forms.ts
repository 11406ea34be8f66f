/**
 * Helpers for form actions: they return `fail(status, { values, errors,
 * message })` so pages re-render with the user's input kept and each field's
 * error beside it — with or without JavaScript.
 */
import { fail } from '@sveltejs/kit';
import type { z } from 'zod';
import { AppError } from '$common/errors';
import { isDependencyDown, serviceUnavailable } from './unavailable';

export type FieldErrors = Record<string, string>;

export function formValues(data: FormData, ...omit: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of data.entries()) if (typeof v === 'string' && !omit.includes(k)) out[k] = v;
  return out;
}

export function zodFieldErrors(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.map(String).join('.');
    errors[key] ??= issue.message;
  }
  return errors;
}

/**
 * Turn an AppError into an action failure, shown beside the form. Postgres or
 * Redis out of reach is one too (503 SERVICE_UNAVAILABLE, "try again in a
 * moment"); other errors propagate (500).
 */
export function failFromError(cause: unknown, values: Record<string, string>) {
  const err = !(cause instanceof AppError) && isDependencyDown(cause) ? serviceUnavailable() : cause;
  if (!(err instanceof AppError)) throw err;
  const errors: FieldErrors = {};
  for (const d of err.details) if (d.field) errors[d.field] = d.message;
  return fail(err.status, { values, errors, message: err.message, code: err.code, retryAfter: err.headers['Retry-After'] ?? null });
}

/** Only same-origin paths are followed after sign-in (no open redirects): see redirect-target.ts. */
export { safeRedirect } from './redirect-target';
