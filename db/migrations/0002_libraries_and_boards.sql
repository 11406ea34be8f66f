CREATE TYPE "public"."library_access" AS ENUM('view', 'edit');--> statement-breakpoint
CREATE TYPE "public"."library_member_access" AS ENUM('none', 'view', 'edit');--> statement-breakpoint
CREATE TABLE "board_changes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"library_id" uuid NOT NULL,
	"user_id" uuid,
	"update" "bytea" NOT NULL,
	"snapshot" "bytea",
	"summary" jsonb NOT NULL,
	"restored_from" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "libraries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"member_access" "library_member_access" DEFAULT 'edit' NOT NULL,
	"board_lanes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"archived_at" timestamp with time zone,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "library_molecules" (
	"library_id" uuid NOT NULL,
	"molecule_id" uuid NOT NULL,
	"lane_id" text NOT NULL,
	"lane" text NOT NULL,
	"lane_order" integer NOT NULL,
	"position" integer NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"added_by" uuid,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "library_molecules_library_id_molecule_id_pk" PRIMARY KEY("library_id","molecule_id")
);
--> statement-breakpoint
CREATE TABLE "library_shares" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"library_id" uuid NOT NULL,
	"user_id" uuid,
	"organization_id" uuid,
	"access" "library_access" NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "library_shares_one_grantee" CHECK ((user_id is null) <> (organization_id is null))
);
--> statement-breakpoint
ALTER TABLE "board_changes" ADD CONSTRAINT "board_changes_library_id_libraries_id_fk" FOREIGN KEY ("library_id") REFERENCES "public"."libraries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "board_changes" ADD CONSTRAINT "board_changes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "libraries" ADD CONSTRAINT "libraries_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "libraries" ADD CONSTRAINT "libraries_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "library_molecules" ADD CONSTRAINT "library_molecules_library_id_libraries_id_fk" FOREIGN KEY ("library_id") REFERENCES "public"."libraries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "library_molecules" ADD CONSTRAINT "library_molecules_molecule_id_molecules_id_fk" FOREIGN KEY ("molecule_id") REFERENCES "public"."molecules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "library_molecules" ADD CONSTRAINT "library_molecules_added_by_users_id_fk" FOREIGN KEY ("added_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "library_shares" ADD CONSTRAINT "library_shares_library_id_libraries_id_fk" FOREIGN KEY ("library_id") REFERENCES "public"."libraries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "library_shares" ADD CONSTRAINT "library_shares_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "library_shares" ADD CONSTRAINT "library_shares_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "library_shares" ADD CONSTRAINT "library_shares_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "board_changes_library_idx" ON "board_changes" USING btree ("library_id","id");--> statement-breakpoint
CREATE INDEX "libraries_org_idx" ON "libraries" USING btree ("organization_id","archived_at");--> statement-breakpoint
CREATE INDEX "library_molecules_molecule_idx" ON "library_molecules" USING btree ("molecule_id");--> statement-breakpoint
CREATE INDEX "library_molecules_order_idx" ON "library_molecules" USING btree ("library_id","lane_order","position");--> statement-breakpoint
CREATE UNIQUE INDEX "library_shares_user_key" ON "library_shares" USING btree ("library_id","user_id") WHERE user_id is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "library_shares_org_key" ON "library_shares" USING btree ("library_id","organization_id") WHERE organization_id is not null;--> statement-breakpoint
CREATE INDEX "library_shares_org_idx" ON "library_shares" USING btree ("organization_id");