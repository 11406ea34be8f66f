-- Board history becomes the history of any live document whose kind keeps
-- one (collab-server/services/history.ts): keyed by document name, with the
-- kind beside it. The rows stay (renamed in place: ids, sequence, grants and
-- the app role's privileges from migration 0004 go with the table); each
-- library's rows become those of its board document `library:<id>`.
ALTER TABLE "board_changes" RENAME TO "document_changes";--> statement-breakpoint
ALTER SEQUENCE "board_changes_id_seq" RENAME TO "document_changes_id_seq";--> statement-breakpoint
ALTER INDEX "board_changes_pkey" RENAME TO "document_changes_pkey";--> statement-breakpoint
ALTER TABLE "document_changes" DROP CONSTRAINT "board_changes_library_id_libraries_id_fk";--> statement-breakpoint
ALTER TABLE "document_changes" DROP CONSTRAINT "board_changes_user_id_users_id_fk";--> statement-breakpoint
DROP INDEX "board_changes_library_idx";--> statement-breakpoint
ALTER TABLE "document_changes" RENAME COLUMN "library_id" TO "document_name";--> statement-breakpoint
ALTER TABLE "document_changes" ALTER COLUMN "document_name" SET DATA TYPE text USING 'library:' || "document_name"::text;--> statement-breakpoint
ALTER TABLE "document_changes" ADD COLUMN "kind" text;--> statement-breakpoint
UPDATE "document_changes" SET "kind" = 'library';--> statement-breakpoint
ALTER TABLE "document_changes" ALTER COLUMN "kind" SET NOT NULL;--> statement-breakpoint
-- History goes with its document's row (which goes with its organisation),
-- as it went with its library before. Every history row was written in the
-- transaction that stored its document, so every row has one.
ALTER TABLE "document_changes" ADD CONSTRAINT "document_changes_document_name_collab_documents_name_fk" FOREIGN KEY ("document_name") REFERENCES "public"."collab_documents"("name") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "document_changes" ADD CONSTRAINT "document_changes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "document_changes_document_idx" ON "document_changes" USING btree ("document_name","id");
