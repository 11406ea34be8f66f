-- Least privilege. Migrations run as the role that owns the schema (the
-- "owner"); web, collab-server and workers log in as a role that is a member
-- of the group `crosslink_app`, which gets only what the product needs: rows
-- of ordinary tables, sequences, temporary tables (the ingest staging table),
-- LISTEN (free). It owns nothing, so it cannot ALTER, DROP, or disable a
-- trigger.
--
-- The group is cluster-wide: created here when missing (the owner needs
-- CREATEROLE for that, or an operator creates it beforehand); the login role
-- and its password are the operator's (scripts/services.ts makes one locally).
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'crosslink_app') then
    create role crosslink_app nologin;
  end if;
end $$;
--> statement-breakpoint
do $$
begin
  execute format('grant connect, temporary on database %I to crosslink_app', current_database());
end $$;
--> statement-breakpoint
grant usage on schema public to crosslink_app;
--> statement-breakpoint
grant select, insert, update, delete on all tables in schema public to crosslink_app;
--> statement-breakpoint
grant usage, select on all sequences in schema public to crosslink_app;
--> statement-breakpoint
-- Tables and sequences later migrations create (run by this same owner role)
-- get the same grants without each migration having to remember them.
alter default privileges in schema public grant select, insert, update, delete on tables to crosslink_app;
--> statement-breakpoint
alter default privileges in schema public grant usage, select on sequences to crosslink_app;
--> statement-breakpoint
-- The audit trail is append-only for the app: read and add, nothing else.
revoke update, delete, truncate on audit_events, audit_checkpoints from crosslink_app;
--> statement-breakpoint
-- ...and a trigger, so a grant added by mistake later does not reopen it. Only
-- sessions of the table's owner (or a superuser: the operator, deliberately)
-- get through; the app role does not, not even through a cascade (deleting an
-- organisation that has audit events is refused for the app: the FK action
-- runs the DELETE here, and session_user stays the app's).
create or replace function crosslink_audit_append_only() returns trigger
language plpgsql as $$
begin
  if pg_has_role(session_user, (select relowner from pg_class where oid = tg_relid), 'MEMBER') then
    return case when tg_op = 'DELETE' then old else new end;
  end if;
  raise exception '% is append-only: % refused for role %', tg_table_name, tg_op, session_user
    using errcode = 'insufficient_privilege';
end $$;
--> statement-breakpoint
do $$
declare t text;
begin
  foreach t in array array['audit_events', 'audit_checkpoints'] loop
    execute format('create or replace trigger %I before update or delete on %I for each row execute function crosslink_audit_append_only()', t || '_append_only', t);
    execute format('create or replace trigger %I before truncate on %I for each statement execute function crosslink_audit_append_only()', t || '_no_truncate', t);
  end loop;
end $$;
--> statement-breakpoint
-- An event's actor is part of its hash: ON DELETE SET NULL would rewrite
-- audited rows when a user is deleted, and break the chain. The event keeps
-- the id of whoever acted (history, not a reference), so a user can be deleted
-- and the trail stays as it was.
alter table audit_events drop constraint audit_events_actor_user_id_users_id_fk;
