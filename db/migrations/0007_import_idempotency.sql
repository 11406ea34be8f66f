-- Imports write each row once (workers/ingest, db/access/ingest.ts): a row's
-- identity is (import, row number), and a property value already on a
-- molecule (same name, number, text, unit) is not stored again by another
-- import. Rows written twice by the resume bug this fixes are removed first,
-- keeping the earliest copy.
delete from molecule_inputs a using molecule_inputs b
where a.import_id is not null and a.import_id = b.import_id and a.row_number = b.row_number
  and (a.created_at, a.id) > (b.created_at, b.id);
--> statement-breakpoint
create unique index molecule_inputs_import_row_key on molecule_inputs (import_id, row_number) where import_id is not null;
--> statement-breakpoint
delete from molecule_properties a using molecule_properties b
where a.source = 'import' and b.source = 'import' and a.molecule_id = b.molecule_id and a.name = b.name
  and a.value_num is not distinct from b.value_num and a.value_text is not distinct from b.value_text
  and a.unit is not distinct from b.unit and (a.created_at, a.id) > (b.created_at, b.id);
--> statement-breakpoint
create unique index molecule_properties_import_value_key on molecule_properties (molecule_id, name, value_num, value_text, unit)
  nulls not distinct where source = 'import';
--> statement-breakpoint
-- Pass 2 reads the import's molecules still without descriptors a batch at a time.
create index molecules_undescribed_idx on molecules (created_by_import_id, id) where descriptors_at is null;
