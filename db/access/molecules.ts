/**
 * The molecule registry's data layer: one molecule per standard InChIKey per
 * organisation, identifiers and property values merged onto it from every
 * source. Chemistry (RDKit) happens before these functions are called; they
 * receive the computed structure so the data layer stays engine-free.
 */
import type { Descriptors, RegisteredStructure } from '../../chem/standardize';
import { byDescriptorField, byDescriptorKey, type DescriptorField } from '../../chem/descriptors';
import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { AppError, notFound } from '../../common/errors';
import type { Actor } from '../auth';
import { recordAudit } from '../audit';
import { inUuids, type Db, type DbOrTx, type Tx } from '../client';
import { PgDialect } from 'drizzle-orm/pg-core';
import { createHash } from 'node:crypto';
import { imports, moleculeCounts, moleculeIdentifiers, moleculeInputs, moleculeProperties, molecules, organizations } from '../schema';
import type { ClientInfo } from './accounts';
import { requireRole } from './authorize';

export const REGISTRY_PREFIX = 'CX-';
/** Identifier label of the other names a molecule was registered under (its first name is `molecules.name`). */
export const SYNONYM_LABEL = 'synonym';
export const formatRegistryNumber = (n: number) => `${REGISTRY_PREFIX}${String(n).padStart(6, '0')}`;

/** `CX-000123`, `cx123` or `123` → 123. */
export function parseRegistryNumber(text: string): number | null {
  const m = text.trim().match(/^(?:cx-?)?0*(\d{1,9})$/i);
  return m ? Number(m[1]) : null;
}

/** What the chemistry engine computed for one structure and its descriptors (chem/standardize.ts). */
export type ComputedStructure = Pick<
  RegisteredStructure,
  'canonicalSmiles' | 'inchi' | 'inchikey' | 'formula' | 'morganFp' | 'patternFp' | 'strippedFragments'
>;
export type ComputedDescriptors = Omit<Descriptors, 'ok'>;

export interface PropertyInput {
  value: number | string | null;
  unit?: string | null;
}

/** Columns a list can be sorted and filtered by, with how they are shown. */
export const moleculeColumns = {
  registry_number: { column: molecules.registryNumber, label: 'Registry number', type: 'number' },
  name: { column: molecules.name, label: 'Name', type: 'text' },
  formula: { column: molecules.formula, label: 'Formula', type: 'text' },
  ...byDescriptorKey((d) => ({ column: molecules[d.field], label: d.label, type: 'number' as const })),
  created_at: { column: molecules.createdAt, label: 'Registered', type: 'date' }
} as const;
export type MoleculeColumnKey = keyof typeof moleculeColumns;
const isColumnKey = (k: string): k is MoleculeColumnKey => Object.hasOwn(moleculeColumns, k);

// ── Registration of one molecule ───────────────────────────────────────────

const pickDescriptors = (d: ComputedDescriptors): ComputedDescriptors => byDescriptorField((spec) => d[spec.field]);

/** Lock the organisation's counter row and reserve `count` registry numbers; returns the first. */
async function reserveRegistryNumbers(tx: Tx, organizationId: string, count: number): Promise<number> {
  const [row] = await tx
    .update(organizations)
    .set({ moleculeCounter: sql`${organizations.moleculeCounter} + ${count}` })
    .where(eq(organizations.id, organizationId))
    .returning({ last: organizations.moleculeCounter });
  return row.last - count + 1;
}

function splitPropertyValue(value: PropertyInput['value']): { valueNum: number | null; valueText: string | null } {
  if (value === null || value === undefined) return { valueNum: null, valueText: null };
  if (typeof value === 'number') return { valueNum: Number.isFinite(value) ? value : null, valueText: Number.isFinite(value) ? null : String(value) };
  const trimmed = value.trim();
  const num = Number(trimmed);
  return trimmed !== '' && Number.isFinite(num) ? { valueNum: num, valueText: null } : { valueNum: null, valueText: trimmed };
}

/**
 * Register `structure` in the actor's organisation, or merge identifiers and
 * properties into the existing molecule with the same InChIKey.
 */
export async function registerMolecule(
  db: Db,
  actor: Actor | null,
  input: {
    originalInput: string;
    inputFormat: 'smiles' | 'molblock';
    name?: string | null;
    externalIds?: Record<string, string>;
    properties?: Record<string, PropertyInput>;
  },
  structure: ComputedStructure,
  descriptors: ComputedDescriptors | null,
  client: ClientInfo
): Promise<{ id: string; created: boolean }> {
  const a = requireRole(actor, 'scientist');
  const orgId = a.organization.id;
  return db.transaction(async (tx) => {
    // The organisation row lock serialises registrations per organisation, so two
    // spellings of one structure registered at once cannot both be "new".
    await tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, orgId)).for('update');
    const [existing] = await tx
      .select({ id: molecules.id, name: molecules.name })
      .from(molecules)
      .where(and(eq(molecules.organizationId, orgId), eq(molecules.inchikey, structure.inchikey)));
    let id: string;
    let created = false;
    const name = input.name?.trim() || null;
    if (existing) {
      id = existing.id;
      if (!existing.name && name) await tx.update(molecules).set({ name }).where(eq(molecules.id, id));
      // Another name for a structure that already has one is kept as a synonym, not dropped.
      else if (name && name.toLowerCase() !== existing.name?.toLowerCase()) {
        await tx
          .insert(moleculeIdentifiers)
          .values({ organizationId: orgId, moleculeId: id, label: SYNONYM_LABEL, value: name, createdBy: a.user.id })
          .onConflictDoNothing();
      }
    } else {
      const number = await reserveRegistryNumbers(tx, orgId, 1);
      const [row] = await tx
        .insert(molecules)
        .values({
          organizationId: orgId,
          registryNumber: number,
          inchikey: structure.inchikey,
          inchi: structure.inchi,
          canonicalSmiles: structure.canonicalSmiles,
          formula: structure.formula,
          name,
          morganFp: structure.morganFp,
          patternFp: structure.patternFp,
          ...(descriptors ? { ...pickDescriptors(descriptors), descriptorsAt: new Date() } : {}),
          createdBy: a.user.id
        })
        .returning({ id: molecules.id });
      id = row.id;
      created = true;
    }
    await tx.insert(moleculeInputs).values({
      organizationId: orgId,
      moleculeId: id,
      input: input.originalInput,
      inputFormat: input.inputFormat,
      strippedFragments: structure.strippedFragments,
      createdBy: a.user.id
    });
    const ids = Object.entries(input.externalIds ?? {});
    if (ids.length) {
      await tx
        .insert(moleculeIdentifiers)
        .values(ids.map(([label, value]) => ({ organizationId: orgId, moleculeId: id, label, value, createdBy: a.user.id })))
        .onConflictDoNothing();
    }
    const props = Object.entries(input.properties ?? {});
    if (props.length) {
      await tx.insert(moleculeProperties).values(
        props.map(([name, p]) => ({
          organizationId: orgId,
          moleculeId: id,
          name,
          ...splitPropertyValue(p.value),
          unit: p.unit ?? null,
          source: 'api',
          createdBy: a.user.id
        }))
      );
    }
    await recordAudit(tx, {
      organizationId: orgId,
      actorUserId: a.user.id,
      action: created ? 'molecule.registered' : 'molecule.merged',
      entityType: 'molecule',
      entityId: id,
      after: { inchikey: structure.inchikey, input: input.originalInput.slice(0, 2000), name, externalIds: input.externalIds ?? {}, properties: Object.keys(input.properties ?? {}) },
      client
    });
    return { id, created };
  });
}

// ── Reading ────────────────────────────────────────────────────────────────

/**
 * The columns a molecule is shown with. Lists select only these: the two
 * fingerprints and the InChI are most of a row's bytes and no list shows them.
 */
export const presentedColumns = {
  id: molecules.id,
  registryNumber: molecules.registryNumber,
  name: molecules.name,
  canonicalSmiles: molecules.canonicalSmiles,
  inchikey: molecules.inchikey,
  formula: molecules.formula,
  ...(byDescriptorField((d) => molecules[d.field]) as { [F in DescriptorField]: (typeof molecules)[F] }),
  descriptorsAt: molecules.descriptorsAt,
  createdAt: molecules.createdAt
};
export type PresentedMoleculeRow = Pick<typeof molecules.$inferSelect, keyof typeof presentedColumns>;

export const presentMolecule = (m: PresentedMoleculeRow) => ({
  id: m.id,
  registry_number: formatRegistryNumber(m.registryNumber),
  name: m.name,
  canonical_smiles: m.canonicalSmiles,
  inchikey: m.inchikey,
  formula: m.formula,
  ...byDescriptorKey((d) => m[d.field]),
  descriptors_pending: m.descriptorsAt === null,
  created_at: m.createdAt,
  depiction_url: `/api/v1/molecules/${m.id}/depiction.svg`
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function getMolecule(db: DbOrTx, actor: Actor | null, id: string) {
  const a = requireRole(actor, 'viewer');
  if (!UUID.test(id)) throw notFound('Molecule');
  const [m] = await db
    .select()
    .from(molecules)
    .where(and(eq(molecules.id, id), eq(molecules.organizationId, a.organization.id)));
  if (!m) throw notFound('Molecule');
  const [ids, props, inputs] = await Promise.all([
    db.select().from(moleculeIdentifiers).where(eq(moleculeIdentifiers.moleculeId, id)).orderBy(asc(moleculeIdentifiers.createdAt)),
    db.select().from(moleculeProperties).where(eq(moleculeProperties.moleculeId, id)).orderBy(asc(moleculeProperties.name), desc(moleculeProperties.createdAt)),
    db.select().from(moleculeInputs).where(eq(moleculeInputs.moleculeId, id)).orderBy(asc(moleculeInputs.createdAt))
  ]);
  const importIds = [...new Set(inputs.map((i) => i.importId).filter((x): x is string => !!x))];
  const importRows = importIds.length
    ? await db
        .select({ id: imports.id, filename: imports.filename, createdAt: imports.createdAt, status: imports.status })
        .from(imports)
        .where(and(inArray(imports.id, importIds), eq(imports.organizationId, a.organization.id)))
    : [];
  return {
    ...presentMolecule(m),
    inchi: m.inchi,
    synonyms: ids.filter((i) => i.label === SYNONYM_LABEL).map((i) => i.value),
    identifiers: ids.map((i) => ({ label: i.label, value: i.value, import_id: i.importId, created_at: i.createdAt })),
    properties: props.map((p) => ({
      name: p.name,
      value: p.valueNum,
      value_text: p.valueText,
      unit: p.unit,
      source: p.source,
      import_id: p.importId,
      created_at: p.createdAt
    })),
    inputs: inputs.map((i) => ({
      input: i.input,
      input_format: i.inputFormat,
      stripped_fragments: i.strippedFragments,
      import_id: i.importId,
      row_number: i.rowNumber,
      created_at: i.createdAt
    })),
    imports: importRows.map((i) => ({ id: i.id, filename: i.filename, status: i.status, created_at: i.createdAt }))
  };
}

/** Just what a depiction needs; scoped like everything else. */
export async function getMoleculeStructure(
  db: DbOrTx,
  actor: Actor | null,
  id: string,
  /** A partner sees a sponsor's structure when it is on a board shared with them (db/access/libraries.ts). */
  visibleElsewhere?: (actor: Actor, moleculeId: string) => Promise<boolean>
) {
  const a = requireRole(actor, 'viewer');
  if (!UUID.test(id)) throw notFound('Molecule');
  const [m] = await db.select({ smiles: molecules.canonicalSmiles, organizationId: molecules.organizationId }).from(molecules).where(eq(molecules.id, id));
  if (!m || (m.organizationId !== a.organization.id && !(visibleElsewhere && (await visibleElsewhere(a, id))))) throw notFound('Molecule');
  return m.smiles;
}

// ── Listing: filters and sorting ───────────────────────────────────────────

export type FilterOp = 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte' | 'contains';
export interface MoleculeFilter {
  /** A column key, `prop:<name>` or `id:<label>`. */
  field: string;
  op: FilterOp;
  value: string;
}
export interface MoleculeQuery {
  q?: string | null;
  filters?: MoleculeFilter[];
  importId?: string | null;
  ids?: string[] | null;
  /** A column key or `prop:<name>`, `-` prefix for descending. */
  sort?: string | null;
  /**
   * The InChIKey of `q` read as a structure, from the caller's chemistry engine
   * (this layer has none): `q` then also finds that molecule in any spelling.
   * Null: `q` is not a structure. Undefined: not tried, so `q` is compared
   * with the canonical SMILES as written.
   */
  structureKey?: string | null;
}

const FILTER_OPS: Record<Exclude<FilterOp, 'contains'>, string> = { eq: '=', ne: '<>', lt: '<', lte: '<=', gt: '>', gte: '>=' };

/** `average_mw:gte:200`, `prop:IC50 (nM):lt:100` (the value is after the last colon). */
export function parseFilter(text: string): MoleculeFilter {
  const m = text.match(/^(.+):(eq|ne|lt|lte|gt|gte|contains):(.*)$/s);
  if (!m) {
    throw new AppError('VALIDATION_ERROR', `Filter "${text}" is not <field>:<op>:<value>`, [
      { field: 'filter', message: 'use <field>:<eq|ne|lt|lte|gt|gte|contains>:<value>' }
    ]);
  }
  return { field: m[1], op: m[2] as FilterOp, value: m[3] };
}

function badParam(param: string, message: string): AppError {
  return new AppError('VALIDATION_ERROR', `Invalid ${param}: ${message}`, [{ field: param, message }]);
}

function numberValue(f: MoleculeFilter): number {
  const n = Number(f.value);
  if (f.value.trim() === '' || !Number.isFinite(n)) throw badParam('filter', `"${f.value}" is not a number (field ${f.field})`);
  return n;
}

function filterCondition(f: MoleculeFilter): SQL {
  if (f.field.startsWith('prop:')) {
    const name = f.field.slice(5);
    if (!name) throw badParam('filter', 'prop: needs a property name');
    const match =
      f.op === 'contains'
        ? sql`p.value_text ilike ${'%' + f.value + '%'}`
        : f.op === 'eq' && !Number.isFinite(Number(f.value))
          ? sql`p.value_text = ${f.value}`
          : sql`p.value_num ${sql.raw(FILTER_OPS[f.op])} ${numberValue(f)}`;
    return sql`exists (select 1 from molecule_properties p where p.molecule_id = ${molecules.id} and p.name = ${name} and ${match})`;
  }
  if (f.field.startsWith('id:')) {
    const label = f.field.slice(3);
    if (f.op !== 'eq' && f.op !== 'contains' && f.op !== 'ne') throw badParam('filter', 'identifiers support eq, ne and contains');
    const match = f.op === 'contains' ? sql`i.value ilike ${'%' + f.value + '%'}` : sql`i.value = ${f.value}`;
    const exists = sql`exists (select 1 from molecule_identifiers i where i.molecule_id = ${molecules.id} and i.label = ${label} and ${match})`;
    return f.op === 'ne' ? sql`not ${exists}` : exists;
  }
  if (!isColumnKey(f.field)) throw badParam('filter', `unknown field "${f.field}"`);
  const col = moleculeColumns[f.field];
  if (f.op === 'contains') {
    if (col.type !== 'text') throw badParam('filter', `contains works on text fields, not ${f.field}`);
    return sql`${col.column} ilike ${'%' + f.value + '%'}`;
  }
  if (col.type === 'number') {
    const n = f.field === 'registry_number' ? (parseRegistryNumber(f.value) ?? numberValue(f)) : numberValue(f);
    return sql`${col.column} ${sql.raw(FILTER_OPS[f.op])} ${n}`;
  }
  if (col.type === 'date') {
    const d = new Date(f.value);
    if (Number.isNaN(d.getTime())) throw badParam('filter', `"${f.value}" is not a date`);
    return sql`${col.column} ${sql.raw(FILTER_OPS[f.op])} ${d}`;
  }
  return sql`${col.column} ${sql.raw(FILTER_OPS[f.op])} ${f.value}`;
}

/**
 * `q=`: name or identifier containing the text, the structure, an InChIKey
 * prefix or the registry number. Written as one set of ids from branches that
 * each have an index (trigram GIN for the ILIKEs, migration 0006) instead of
 * ORs over every row of the organisation.
 */
function textMatchIds(organizationId: string, q: string, structureKey: string | null | undefined): SQL {
  const like = '%' + q.replace(/[%_\\]/g, (c) => '\\' + c) + '%';
  const branches: SQL[] = [
    sql`select id from molecules where organization_id = ${organizationId} and name ilike ${like}`,
    sql`select molecule_id from molecule_identifiers where organization_id = ${organizationId} and value ilike ${like}`
  ];
  if (structureKey) branches.push(sql`select id from molecules where organization_id = ${organizationId} and inchikey = ${structureKey}`);
  else if (structureKey === undefined) branches.push(sql`select id from molecules where organization_id = ${organizationId} and canonical_smiles = ${q}`);
  if (/^[A-Z]{2,14}(-[A-Z]{0,10}(-[A-Z])?)?$/i.test(q)) {
    branches.push(sql`select id from molecules where organization_id = ${organizationId} and inchikey like ${q.toUpperCase() + '%'}`);
  }
  const number = parseRegistryNumber(q);
  if (number !== null) branches.push(sql`select id from molecules where organization_id = ${organizationId} and registry_number = ${number}`);
  return sql.join(branches, sql` union `);
}

/**
 * The rows a list reads, as a FROM item named `molecules`: the organisation's
 * molecules, or for `q=` the ids the text match finds, each looked up by
 * primary key. The lookup is LATERAL with OFFSET 0 (which keeps Postgres from
 * flattening it into an ordinary join), so the match set is read once and
 * each match costs one index probe whatever the planner believes about their
 * number. As `molecules.id in (…)` it did not: right after a bulk
 * registration the statistics still call the organisation nearly empty, and
 * PostgreSQL 18 then joined molecules to the match set in a nested loop that
 * re-read the whole set per molecule (17 s for 12,345 matches, 61 M rows
 * compared, on the e2e run's cluster; 29 ms this way).
 */
function sourceFor(organizationId: string, query: MoleculeQuery): SQL {
  const q = query.q?.trim();
  if (!q) return sql`${molecules}`;
  return sql`((${textMatchIds(organizationId, q, query.structureKey)}) as q_match
    cross join lateral (select * from ${molecules} where ${molecules.id} = q_match.id offset 0) as ${molecules})`;
}

/** The conditions on `molecules` (the FROM item `sourceFor` makes) besides the text match, which the source applies. */
function whereFor(organizationId: string, query: MoleculeQuery): SQL {
  const parts: SQL[] = [sql`${molecules.organizationId} = ${organizationId}`];
  for (const f of query.filters ?? []) parts.push(filterCondition(f));
  if (query.importId) {
    if (!UUID.test(query.importId)) throw badParam('import_id', 'must be a UUID');
    parts.push(
      sql`(${molecules.createdByImportId} = ${query.importId} or exists (select 1 from molecule_inputs mi where mi.molecule_id = ${molecules.id} and mi.import_id = ${query.importId}))`
    );
  }
  if (query.ids) {
    const ids = query.ids.filter((x) => UUID.test(x));
    if (ids.length !== query.ids.length) throw badParam('ids', 'must be UUIDs');
    parts.push(ids.length ? inArray(molecules.id, ids) : sql`false`);
  }
  return sql.join(parts, sql` and `);
}

interface SortOrder {
  key: MoleculeColumnKey | `prop:${string}`;
  descending: boolean;
}

function parseSort(sort: string | null | undefined): SortOrder {
  const raw = sort?.trim() || '-registry_number';
  const descending = raw.startsWith('-');
  const key = descending ? raw.slice(1) : raw;
  if (key.startsWith('prop:')) return { key: key as `prop:${string}`, descending };
  if (!isColumnKey(key)) throw badParam('sort', `unknown field "${key}"`);
  return { key, descending };
}

/**
 * The ids of one page, in order: `sort` (missing values last), ties by
 * registry number, newest first.
 *
 * Written so Postgres reads a page in index order and stops after it, rather
 * than computing the sort key for every molecule of the organisation and
 * sorting them all: molecules with a value first (index on the column, or on
 * (organization_id, name, value_num) for a property), then those without one
 * (registry-number index), as two bounded parts of one UNION ALL, whose
 * parts Postgres appends in order. A property sort ranks a molecule by its
 * largest value, taken from the one property row that holds it (no larger
 * value for the same molecule).
 */
function pageIds(source: SQL, where: SQL, order: SortOrder, organizationId: string, page: { page: number; pageSize: number }): SQL {
  const dir = sql.raw(order.descending ? 'desc' : 'asc');
  const limit = page.pageSize;
  const offset = (page.page - 1) * page.pageSize;
  const upTo = limit + offset;
  if (order.key.startsWith('prop:')) {
    const name = order.key.slice(5);
    return sql`select id from (
      (select molecules.id from molecule_properties p join ${source} on molecules.id = p.molecule_id
        where p.organization_id = ${organizationId} and p.name = ${name} and p.value_num is not null and ${where}
          and not exists (select 1 from molecule_properties p2 where p2.molecule_id = p.molecule_id and p2.name = p.name
            and (p2.value_num > p.value_num or (p2.value_num = p.value_num and p2.id > p.id)))
        order by p.value_num ${dir}, molecules.registry_number desc limit ${upTo})
      union all
      (select molecules.id from ${source}
        where ${where} and not exists (select 1 from molecule_properties p where p.molecule_id = molecules.id and p.name = ${name} and p.value_num is not null)
        order by molecules.registry_number desc limit ${upTo})
    ) page limit ${limit} offset ${offset}`;
  }
  const key = order.key as MoleculeColumnKey;
  const column = moleculeColumns[key].column;
  const tieBreak = key === 'registry_number' ? sql`` : sql`, ${molecules.registryNumber} desc`;
  if (column.notNull) {
    return sql`select ${molecules.id} from ${source} where ${where} order by ${column} ${dir}${tieBreak} limit ${limit} offset ${offset}`;
  }
  return sql`select id from (
    (select ${molecules.id} from ${source} where ${where} and ${column} is not null order by ${column} ${dir}${tieBreak} limit ${upTo})
    union all
    (select ${molecules.id} from ${source} where ${where} and ${column} is null order by ${molecules.registryNumber} desc limit ${upTo})
  ) page limit ${limit} offset ${offset}`;
}

/** Above this many matches a filtered list's total is the planner's estimate (`totalIsEstimate`). */
export const EXACT_TOTAL_LIMIT = 10_000;

const unfiltered = (query: MoleculeQuery) => !query.q?.trim() && !query.filters?.length && !query.importId && !query.ids;

/**
 * How many molecules match. Exact for the whole registry (molecule_counts,
 * kept by triggers) and for any filter matching up to EXACT_TOTAL_LIMIT;
 * beyond that, counting every match per request would cost more than the
 * page itself, so the total is Postgres's estimate and says so.
 */
/** The organisation's molecule count (molecule_counts, kept by triggers), as a scalar subquery. */
const registryTotal = (organizationId: string) =>
  sql`coalesce((select ${moleculeCounts.molecules}::int from ${moleculeCounts} where ${moleculeCounts.organizationId} = ${organizationId}), 0)`;

async function countMatching(
  db: DbOrTx,
  organizationId: string,
  query: MoleculeQuery,
  source: SQL,
  where: SQL
): Promise<{ total: number; totalIsEstimate: boolean }> {
  if (unfiltered(query)) {
    const [row] = await queryPrepared<{ n: number }>(db, sql`select ${registryTotal(organizationId)} as n`);
    return { total: row?.n ?? 0, totalIsEstimate: false };
  }
  const rows = await queryPlanned<{ n: number }>(
    db,
    sql`select count(*)::int as n from (select 1 from ${source} where ${where} limit ${EXACT_TOTAL_LIMIT + 1}) capped`
  );
  if (rows[0].n <= EXACT_TOTAL_LIMIT) return { total: rows[0].n, totalIsEstimate: false };
  const plan = await db.execute<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(sql`explain (format json) select 1 from ${source} where ${where}`);
  const estimate = Math.round(plan.rows[0]['QUERY PLAN'][0].Plan['Plan Rows']);
  return { total: Math.max(estimate, EXACT_TOTAL_LIMIT + 1), totalIsEstimate: true };
}

/** What a listed molecule carries beside its columns: all identifiers and the latest value of each property. */
type MoleculeDecorations = {
  identifiers: Array<{ label: string; value: string }>;
  properties: Record<string, { value: number | null; value_text: string | null; unit: string | null }>;
};

/** Latest value of each property, and all identifiers, for a page of molecules. */
export async function decorateMolecules(db: DbOrTx, rows: PresentedMoleculeRow[]) {
  const ids = rows.map((r) => r.id);
  if (!ids.length) return [];
  const [idRows, propRows] = await Promise.all([
    db
      .select({ moleculeId: moleculeIdentifiers.moleculeId, label: moleculeIdentifiers.label, value: moleculeIdentifiers.value })
      .from(moleculeIdentifiers)
      .where(inUuids(moleculeIdentifiers.moleculeId, ids))
      .orderBy(asc(moleculeIdentifiers.createdAt)),
    db
      .selectDistinctOn([moleculeProperties.moleculeId, moleculeProperties.name], {
        moleculeId: moleculeProperties.moleculeId,
        name: moleculeProperties.name,
        value: moleculeProperties.valueNum,
        valueText: moleculeProperties.valueText,
        unit: moleculeProperties.unit
      })
      .from(moleculeProperties)
      .where(inUuids(moleculeProperties.moleculeId, ids))
      .orderBy(moleculeProperties.moleculeId, moleculeProperties.name, desc(moleculeProperties.createdAt))
  ]);
  const byMolecule = new Map<string, MoleculeDecorations>();
  for (const id of ids) byMolecule.set(id, { identifiers: [], properties: {} });
  for (const r of idRows) byMolecule.get(r.moleculeId)!.identifiers.push({ label: r.label, value: r.value });
  for (const p of propRows) byMolecule.get(p.moleculeId)!.properties[p.name] = { value: p.value, value_text: p.valueText, unit: p.unit };
  return rows.map((r) => ({ ...presentMolecule(r), ...byMolecule.get(r.id)! }));
}

/** A timestamp column in `pageWithDecorations`: milliseconds since the epoch (as text: bigint), so the Date is the one Drizzle would make. */
type EpochMs<T> = [T] extends [Date] ? string : [T] extends [Date | null] ? string | null : T;

/** One row of `pageWithDecorations`: the presented columns, under their presenter names, plus the decorations. */
type DecoratedPageRow = { [K in keyof PresentedMoleculeRow]: EpochMs<PresentedMoleculeRow[K]> } & MoleculeDecorations;

/** The presented columns of `m`, named as `presentedColumns` names them (timestamps as epoch milliseconds). */
const pageColumns = sql.join(
  Object.entries(presentedColumns).map(([key, column]) =>
    column.dataType === 'date'
      ? sql`floor(extract(epoch from m.${sql.identifier(column.name)}) * 1000)::bigint as ${sql.identifier(key)}`
      : sql`m.${sql.identifier(column.name)} as ${sql.identifier(key)}`
  ),
  sql`, `
);

/**
 * A page of molecules with their identifiers and latest property values, in
 * page order, as one statement: under load each statement's round trip,
 * parse and plan cost more than reading 50 rows (bench/api), so the page, its
 * rows and their decorations are not four statements.
 */
function pageWithDecorations(ids: SQL, total?: SQL): SQL {
  return sql`select ${pageColumns},${total ? sql` (${total}) as total,` : sql``}
      coalesce((select json_agg(json_build_object('label', i.label, 'value', i.value) order by i.created_at)
        from molecule_identifiers i where i.molecule_id = m.id), '[]') as identifiers,
      coalesce((select json_object_agg(p.name, json_build_object('value', p.value_num, 'value_text', p.value_text, 'unit', p.unit))
        from (select distinct on (name) name, value_num, value_text, unit from molecule_properties
              where molecule_id = m.id order by name, created_at desc) p), '{}') as properties
    from (select id, row_number() over () as rank from (${ids}) ids) page
    join molecules m on m.id = page.id
    order by page.rank`;
}

const dialect = new PgDialect();

/**
 * Run `query` as a named prepared statement (named after its text, so every
 * query shape gets its own): Postgres then parses it once per connection and,
 * after a few runs, reuses a generic plan. For the unfiltered list's
 * statements planning cost as much as executing (EXPLAIN ANALYZE at 100k
 * molecules). Only for statements whose best plan does not depend on the
 * values: a search's (`q`, filters) depends on how many molecules match, and
 * a generic plan made while the organisation or its matches were small would
 * keep serving it once they are large, so those go through `queryPlanned`
 * (the 8–22 s searches of the e2e run were a stale-statistics plan, which
 * `sourceFor` makes harmless; this keeps a cached plan from bringing it back).
 * Inside a transaction (no pool at hand) it runs as a plain statement.
 */
async function queryPrepared<T extends Record<string, unknown>>(db: DbOrTx, query: SQL): Promise<T[]> {
  const pool = (db as Partial<Db>).$client;
  if (!pool) return queryPlanned<T>(db, query);
  const { sql: text, params } = dialect.sqlToQuery(query);
  const name = `registry_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
  return (await pool.query<T>({ name, text, values: params as unknown[] })).rows;
}

/** Run `query` unnamed: Postgres plans it for these values every time. */
async function queryPlanned<T extends Record<string, unknown>>(db: DbOrTx, query: SQL): Promise<T[]> {
  return (await db.execute<T>(query)).rows as T[];
}

const msDate = (ms: string | null) => (ms === null ? null : new Date(Number(ms)));

export async function listMolecules(db: DbOrTx, actor: Actor | null, query: MoleculeQuery, page: { page: number; pageSize: number }) {
  const a = requireRole(actor, 'viewer');
  const orgId = a.organization.id;
  const source = sourceFor(orgId, query);
  const where = whereFor(orgId, query);
  const order = parseSort(query.sort);
  const ids = pageIds(source, where, order, orgId, page);
  let rows: Array<DecoratedPageRow & { total?: number }>;
  let counted: { total: number; totalIsEstimate: boolean };
  if (unfiltered(query)) {
    // The whole registry's count is one indexed lookup: ride along in the
    // page's statement (one round trip fewer per request under load, bench/api).
    // A page past the end has no row to carry it, so it is asked for alone.
    rows = await queryPrepared<DecoratedPageRow & { total: number }>(db, pageWithDecorations(ids, registryTotal(orgId)));
    counted = rows.length ? { total: rows[0].total!, totalIsEstimate: false } : await countMatching(db, orgId, query, source, where);
  } else {
    // A filtered count can cost more than the page (up to EXACT_TOTAL_LIMIT rows): run both at once on two connections.
    // Planned for its values each time (queryPrepared says why).
    [rows, counted] = await Promise.all([queryPlanned<DecoratedPageRow>(db, pageWithDecorations(ids)), countMatching(db, orgId, query, source, where)]);
  }
  const { total, totalIsEstimate } = counted;
  const data = rows.map(({ identifiers, properties, descriptorsAt, createdAt, total: _total, ...columns }) => ({
    ...presentMolecule({ ...columns, descriptorsAt: msDate(descriptorsAt), createdAt: msDate(createdAt)! }),
    identifiers,
    properties
  }));
  return { data, total, totalIsEstimate };
}

/**
 * Ids of the molecules matching `query` in the actor's organisation, in
 * registry order, at most `limit` of them (`truncated` says there were more).
 * For "add everything this filter shows to a library".
 */
export async function matchingMoleculeIds(db: DbOrTx, actor: Actor | null, query: MoleculeQuery, limit: number) {
  const a = requireRole(actor, 'viewer');
  const rows = (
    await db.execute<{ id: string }>(
      sql`select ${molecules.id} from ${sourceFor(a.organization.id, query)} where ${whereFor(a.organization.id, query)}
        order by ${molecules.registryNumber} asc limit ${limit + 1}`
    )
  ).rows;
  return { ids: rows.slice(0, limit).map((r) => r.id), truncated: rows.length > limit };
}

/** Everything the column chooser and filter builder can offer. */
export async function moleculeFields(db: DbOrTx, actor: Actor | null) {
  const a = requireRole(actor, 'viewer');
  const orgId = a.organization.id;
  const [props, labels] = await Promise.all([
    db.execute<{ name: string; unit: string | null; count: number }>(sql`
      select name, (array_agg(unit order by created_at desc) filter (where unit is not null))[1] as unit, count(distinct molecule_id)::int as count
      from molecule_properties where organization_id = ${orgId} group by name order by name`),
    db.execute<{ label: string; count: number }>(sql`
      select label, count(distinct molecule_id)::int as count
      from molecule_identifiers where organization_id = ${orgId} group by label order by label`)
  ]);
  return {
    columns: Object.entries(moleculeColumns).map(([key, c]) => ({ key, label: c.label, type: c.type })),
    properties: props.rows,
    identifier_labels: labels.rows
  };
}

/**
 * Every molecule matching `query`, in pages of `batchSize`, for streaming
 * exports. Keyset pagination on registry number keeps each page cheap.
 */
export async function* exportMolecules(db: DbOrTx, actor: Actor | null, query: MoleculeQuery, batchSize = 1000) {
  const a = requireRole(actor, 'viewer');
  const source = sourceFor(a.organization.id, query);
  const where = whereFor(a.organization.id, { ...query, sort: null });
  let after = 0;
  for (;;) {
    // The batch's ids through the source (a text match is a FROM item, not a condition), then their columns.
    const batch = (
      await db.execute<{ id: string; registry_number: number }>(
        sql`select ${molecules.id}, ${molecules.registryNumber} from ${source} where ${where} and ${molecules.registryNumber} > ${after}
          order by ${molecules.registryNumber} asc limit ${batchSize}`
      )
    ).rows;
    if (!batch.length) return;
    const columns = await db.select(presentedColumns).from(molecules).where(inUuids(molecules.id, batch.map((r) => r.id)));
    const byId = new Map(columns.map((r) => [r.id, r]));
    yield await decorateMolecules(db, batch.flatMap((r) => byId.get(r.id) ?? []));
    after = Number(batch[batch.length - 1].registry_number);
    if (batch.length < batchSize) return;
  }
}
