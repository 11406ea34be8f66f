-- Registry list and search at 100k+ molecules (bench/api). Runs as the owner role (CREATE EXTENSION).
--
-- Text search: `q=` matches names and identifier values with ILIKE '%…%'; trigram GIN indexes
-- answer those from the index instead of reading every row.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "molecules_name_trgm_idx" ON "molecules" USING gin ("name" gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "molecule_identifiers_value_trgm_idx" ON "molecule_identifiers" USING gin ("value" gin_trgm_ops);
--> statement-breakpoint
-- Column sorts: a page sorted by one of these is read in index order (non-null values first,
-- registry number breaking ties) and stops after the page instead of sorting the organisation.
CREATE INDEX IF NOT EXISTS "molecules_org_mw_idx" ON "molecules" USING btree ("organization_id", "average_mw", "registry_number");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "molecules_org_clogp_idx" ON "molecules" USING btree ("organization_id", "clogp", "registry_number");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "molecules_org_tpsa_idx" ON "molecules" USING btree ("organization_id", "tpsa", "registry_number");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "molecules_org_name_idx" ON "molecules" USING btree ("organization_id", "name", "registry_number");
--> statement-breakpoint
-- Property sorts walk (organization_id, name, value_num) and check "is this the molecule's
-- largest value" per row: this index answers that probe.
CREATE INDEX IF NOT EXISTS "molecule_properties_molecule_name_idx" ON "molecule_properties" USING btree ("molecule_id", "name", "value_num");
--> statement-breakpoint
-- The exact number of molecules per organisation, kept by statement-level triggers, so the
-- unfiltered list's `total` costs one row read instead of counting 100k index entries per request.
CREATE TABLE IF NOT EXISTS "molecule_counts" (
  "organization_id" uuid PRIMARY KEY NOT NULL REFERENCES "organizations"("id") ON DELETE CASCADE,
  "molecules" bigint NOT NULL DEFAULT 0
);
--> statement-breakpoint
INSERT INTO "molecule_counts" ("organization_id", "molecules")
  SELECT "organization_id", count(*) FROM "molecules" GROUP BY "organization_id"
  ON CONFLICT ("organization_id") DO UPDATE SET "molecules" = excluded."molecules";
--> statement-breakpoint
CREATE OR REPLACE FUNCTION molecule_counts_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO molecule_counts (organization_id, molecules)
    SELECT organization_id, count(*) FROM new_rows GROUP BY organization_id
    ON CONFLICT (organization_id) DO UPDATE SET molecules = molecule_counts.molecules + excluded.molecules;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION molecule_counts_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE molecule_counts c SET molecules = c.molecules - d.n
    FROM (SELECT organization_id, count(*) AS n FROM old_rows GROUP BY organization_id) d
    WHERE c.organization_id = d.organization_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION molecule_counts_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM molecule_counts;
  RETURN NULL;
END $$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS molecule_counts_insert ON molecules;
--> statement-breakpoint
CREATE TRIGGER molecule_counts_insert AFTER INSERT ON molecules REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION molecule_counts_after_insert();
--> statement-breakpoint
DROP TRIGGER IF EXISTS molecule_counts_delete ON molecules;
--> statement-breakpoint
CREATE TRIGGER molecule_counts_delete AFTER DELETE ON molecules REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION molecule_counts_after_delete();
--> statement-breakpoint
DROP TRIGGER IF EXISTS molecule_counts_truncate ON molecules;
--> statement-breakpoint
CREATE TRIGGER molecule_counts_truncate AFTER TRUNCATE ON molecules
  FOR EACH STATEMENT EXECUTE FUNCTION molecule_counts_after_truncate();
