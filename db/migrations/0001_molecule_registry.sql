CREATE TYPE "public"."import_format" AS ENUM('csv', 'tsv', 'sdf');--> statement-breakpoint
CREATE TYPE "public"."import_status" AS ENUM('queued', 'running', 'completed', 'failed', 'cancelled', 'reverted');--> statement-breakpoint
CREATE TABLE "import_errors" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"import_id" uuid NOT NULL,
	"row_number" integer NOT NULL,
	"raw" text NOT NULL,
	"raw_truncated" boolean DEFAULT false NOT NULL,
	"code" text NOT NULL,
	"reason" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "import_templates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"name" text NOT NULL,
	"mapping" jsonb NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "imports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"created_by" uuid,
	"library_id" uuid,
	"filename" text NOT NULL,
	"format" "import_format" NOT NULL,
	"compression" text,
	"encoding" text DEFAULT 'utf-8' NOT NULL,
	"size_bytes" bigint NOT NULL,
	"storage_path" text NOT NULL,
	"mapping" jsonb NOT NULL,
	"status" "import_status" DEFAULT 'queued' NOT NULL,
	"total_rows" integer,
	"processed_rows" integer DEFAULT 0 NOT NULL,
	"registered" integer DEFAULT 0 NOT NULL,
	"duplicates" integer DEFAULT 0 NOT NULL,
	"invalid" integer DEFAULT 0 NOT NULL,
	"descriptors_done" integer DEFAULT 0 NOT NULL,
	"checkpoint_row" integer DEFAULT 0 NOT NULL,
	"error" jsonb,
	"cancel_requested_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"reverted_at" timestamp with time zone,
	"reverted_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "molecule_identifiers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"molecule_id" uuid NOT NULL,
	"label" text NOT NULL,
	"value" text NOT NULL,
	"import_id" uuid,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "molecule_inputs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"molecule_id" uuid NOT NULL,
	"import_id" uuid,
	"row_number" integer,
	"input" text NOT NULL,
	"input_format" text NOT NULL,
	"stripped_fragments" boolean DEFAULT false NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "molecule_properties" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"molecule_id" uuid NOT NULL,
	"name" text NOT NULL,
	"value_num" double precision,
	"value_text" text,
	"unit" text,
	"source" text NOT NULL,
	"import_id" uuid,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "molecules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"registry_number" integer NOT NULL,
	"inchikey" text NOT NULL,
	"inchi" text NOT NULL,
	"canonical_smiles" text NOT NULL,
	"formula" text NOT NULL,
	"name" text,
	"average_mw" double precision,
	"exact_mass" double precision,
	"clogp" double precision,
	"tpsa" double precision,
	"hbd" integer,
	"hba" integer,
	"rotatable_bonds" integer,
	"heavy_atoms" integer,
	"aromatic_rings" integer,
	"fraction_csp3" double precision,
	"morgan_fp" "bytea" NOT NULL,
	"pattern_fp" "bytea" NOT NULL,
	"descriptors_at" timestamp with time zone,
	"created_by" uuid,
	"created_by_import_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "molecule_counter" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "import_errors" ADD CONSTRAINT "import_errors_import_id_imports_id_fk" FOREIGN KEY ("import_id") REFERENCES "public"."imports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_templates" ADD CONSTRAINT "import_templates_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_templates" ADD CONSTRAINT "import_templates_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "imports" ADD CONSTRAINT "imports_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "imports" ADD CONSTRAINT "imports_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "imports" ADD CONSTRAINT "imports_reverted_by_users_id_fk" FOREIGN KEY ("reverted_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "molecule_identifiers" ADD CONSTRAINT "molecule_identifiers_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "molecule_identifiers" ADD CONSTRAINT "molecule_identifiers_molecule_id_molecules_id_fk" FOREIGN KEY ("molecule_id") REFERENCES "public"."molecules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "molecule_identifiers" ADD CONSTRAINT "molecule_identifiers_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "molecule_inputs" ADD CONSTRAINT "molecule_inputs_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "molecule_inputs" ADD CONSTRAINT "molecule_inputs_molecule_id_molecules_id_fk" FOREIGN KEY ("molecule_id") REFERENCES "public"."molecules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "molecule_inputs" ADD CONSTRAINT "molecule_inputs_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "molecule_properties" ADD CONSTRAINT "molecule_properties_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "molecule_properties" ADD CONSTRAINT "molecule_properties_molecule_id_molecules_id_fk" FOREIGN KEY ("molecule_id") REFERENCES "public"."molecules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "molecule_properties" ADD CONSTRAINT "molecule_properties_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "molecules" ADD CONSTRAINT "molecules_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "molecules" ADD CONSTRAINT "molecules_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "import_errors_row_key" ON "import_errors" USING btree ("import_id","row_number");--> statement-breakpoint
CREATE UNIQUE INDEX "import_templates_org_name_key" ON "import_templates" USING btree ("organization_id","name");--> statement-breakpoint
CREATE INDEX "imports_org_created_idx" ON "imports" USING btree ("organization_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "molecule_identifiers_key" ON "molecule_identifiers" USING btree ("molecule_id","label","value");--> statement-breakpoint
CREATE INDEX "molecule_identifiers_lookup_idx" ON "molecule_identifiers" USING btree ("organization_id","label","value");--> statement-breakpoint
CREATE INDEX "molecule_identifiers_import_idx" ON "molecule_identifiers" USING btree ("import_id");--> statement-breakpoint
CREATE INDEX "molecule_inputs_molecule_idx" ON "molecule_inputs" USING btree ("molecule_id");--> statement-breakpoint
CREATE INDEX "molecule_inputs_import_idx" ON "molecule_inputs" USING btree ("import_id");--> statement-breakpoint
CREATE INDEX "molecule_properties_molecule_idx" ON "molecule_properties" USING btree ("molecule_id");--> statement-breakpoint
CREATE INDEX "molecule_properties_org_name_idx" ON "molecule_properties" USING btree ("organization_id","name","value_num");--> statement-breakpoint
CREATE INDEX "molecule_properties_import_idx" ON "molecule_properties" USING btree ("import_id");--> statement-breakpoint
CREATE UNIQUE INDEX "molecules_org_inchikey_key" ON "molecules" USING btree ("organization_id","inchikey");--> statement-breakpoint
CREATE UNIQUE INDEX "molecules_org_number_key" ON "molecules" USING btree ("organization_id","registry_number");--> statement-breakpoint
CREATE INDEX "molecules_org_created_idx" ON "molecules" USING btree ("organization_id","created_at");--> statement-breakpoint
CREATE INDEX "molecules_import_idx" ON "molecules" USING btree ("created_by_import_id");