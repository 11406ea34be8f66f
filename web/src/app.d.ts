import type { Actor } from '$db/auth';

declare global {
  namespace App {
    interface Locals {
      /** Who is calling, from the session cookie or a bearer token; null when anonymous. */
      actor: Actor | null;
      /** The raw token that authenticated this request (to sign out). */
      token: string | null;
    }
    interface Error {
      message: string;
      code?: string;
    }
  }
}

export {};
