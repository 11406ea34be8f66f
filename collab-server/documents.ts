/**
 * Document-kind registry: which live documents exist. A document name is
 * `<kind>:<id>[:<suffix>]`; each kind is one folder under `kinds/` (access,
 * owning organisation, projection, history words, mentions) and one entry in
 * `documentKinds` below. Nothing else in the server changes for a new kind:
 * the services it opts into (core/kind.ts `DocumentKind`) are generic.
 * A name no kind matches is refused, both on connect and on load/store.
 */
import { resolveIn, type DocumentKind, type DocumentRef } from './core/kind';
import { libraryDocument } from './kinds/library';
import { organizationDocument } from './kinds/organization';

/** The registry. Order matters only if patterns overlap: the first match wins. */
export const documentKinds: readonly DocumentKind[] = [organizationDocument, libraryDocument];

export function resolveDocument(name: string, kinds: readonly DocumentKind[] = documentKinds): DocumentRef | null {
  return resolveIn(name, kinds);
}

export { libraryDocument } from './kinds/library';
export { accessForRole, organizationAccess, organizationDocument } from './kinds/organization';
export {
  MAX_DOCUMENT_NAME_LENGTH,
  type Access,
  type ChangeSummary,
  type DocumentKind,
  type DocumentRef,
  type HistoryConfig,
  type Mention,
  type MentionNotice,
  type Projector,
  type RecordedChange,
  type StoreContext
} from './core/kind';
