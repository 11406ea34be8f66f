/**
 * Projection: rows derived from a document in the transaction that stores it
 * (core/kind.ts `Projector`). A kind opts in with `project`; the server's
 * `projectors` option overrides it by kind name (tests, tools).
 */
import type { DocumentKind, Projector } from '../core/kind';

export function projectorOf(kind: DocumentKind, overrides: Readonly<Record<string, Projector>>): Projector | undefined {
  return (overrides[kind.kind] as Projector | undefined) ?? kind.project;
}
