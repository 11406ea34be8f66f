/**
 * The REST API's bodies as the pages use them, derived (`z.output`) from the
 * zod schemas that validate requests and generate the OpenAPI document
 * (web/src/lib/server/api/*-schemas.ts). Type-only imports: nothing of the
 * server (nor zod) reaches the browser bundle.
 */
import type { z } from 'zod';
import type * as s from '$lib/server/api/schemas';
import type * as r from '$lib/server/api/registry-schemas';
import type * as l from '$lib/server/api/library-schemas';
import type { DescriptorKey } from '$chem/descriptors';

type Data<S extends z.ZodType> = z.output<S> extends { data: infer D } ? D : never;

// ── Envelope
export type Meta = z.output<typeof s.meta>;
export type Envelope<T> = { data: T; meta?: Meta };
export type ApiErrorBody = z.output<typeof s.errorBody>;

// ── Accounts
export type OrgRef = z.output<typeof s.organization>;
export type MembershipRole = z.output<typeof s.membershipRole>;
export type ApiToken = z.output<typeof s.apiToken>;
export type Invitation = z.output<typeof s.invitation>;
export type Member = z.output<typeof s.member>;
export type Notification = z.output<typeof s.notification>;
export type Me = Data<typeof s.meResponse>;

// ── Registry
export type { DescriptorKey };
export type Descriptors = z.output<typeof r.descriptorValues>;
export type PropertyValue = z.output<typeof r.propertyValue>;
/** One row of GET /molecules. */
export type MoleculeRow = z.output<typeof r.moleculeRow>;
/** GET /molecules/:id (with `libraries`) and the POST result (with `created`). */
export type Molecule = z.output<typeof r.molecule> & Partial<Pick<Data<typeof r.moleculeDetailResponse>, 'libraries'>> & { created?: boolean };
export type Fields = z.output<typeof r.moleculeFields>;
export type FieldColumn = Fields['columns'][number];
export type Mapping = z.output<typeof r.importMappingSchema>;
export type StructureType = Mapping['structure']['type'];
export type ImportJob = z.output<typeof r.importJob>;
export type ImportStatus = z.output<typeof r.importStatusSchema>;
export type ImportRowError = z.output<typeof r.importRowError>;
export type ImportDuplicate = z.output<typeof r.importDuplicate>;
export type ImportTemplate = z.output<typeof r.importTemplate>;
export type Preview = z.output<typeof r.importPreview>;

// ── Libraries
export type LibrarySummary = z.output<typeof l.librarySummary>;
export type LibraryDetail = z.output<typeof l.libraryDetail>;
export type LibraryAccess = LibrarySummary['access'];
export type MemberAccess = LibrarySummary['member_access'];
export type Share = z.output<typeof l.share>;
/** One row of GET /libraries/:id/molecules. */
export type LibraryMoleculeRow = z.output<typeof l.libraryMoleculeRow>;
export type LibraryMolecule = LibraryMoleculeRow['molecule'];
export type Person = z.output<typeof l.person>;
export type HistoryEntry = z.output<typeof l.historyEntry>;
export type BoardVersion = Data<typeof l.boardVersionResponse>;
export type AddedMolecules = Data<typeof l.addedMoleculesResponse>;
