-- Access events: every change that can narrow someone's access notifies the
-- channel `crosslink_access` (common/access-events.ts). Triggers, not calls in
-- the access layer: NOTIFY is delivered only when the transaction commits (a
-- rolled-back share change tells nobody), and no code path — a route, a
-- script, a cascade from a deleted user or organisation, psql — can change
-- access without it. Every collab-server and web node LISTENs on the same
-- database, so each hears every event itself (no relay through Redis).
-- Payloads carry ids only (well under NOTIFY's 8000-byte limit); listeners
-- re-check access from the tables. Widening changes (a new share, a longer
-- session) are not announced: nothing open has to be cut off for them.
create or replace function crosslink_notify_access(payload jsonb) returns void
language sql as $$ select pg_notify('crosslink_access', payload::text) $$;
--> statement-breakpoint
create or replace function crosslink_library_shares_access() returns trigger
language plpgsql as $$
begin
  perform crosslink_notify_access(jsonb_build_object('scope', 'library', 'libraryId', old.library_id));
  if tg_op = 'UPDATE' and new.library_id <> old.library_id then
    perform crosslink_notify_access(jsonb_build_object('scope', 'library', 'libraryId', new.library_id));
  end if;
  return null;
end $$;
--> statement-breakpoint
create trigger library_shares_access_events
  after update or delete on library_shares
  for each row execute function crosslink_library_shares_access();
--> statement-breakpoint
create or replace function crosslink_libraries_access() returns trigger
language plpgsql as $$
begin
  perform crosslink_notify_access(jsonb_build_object('scope', 'library', 'libraryId', old.id));
  return null;
end $$;
--> statement-breakpoint
create trigger libraries_access_events
  after update of member_access, archived_at, organization_id, created_by or delete on libraries
  for each row execute function crosslink_libraries_access();
--> statement-breakpoint
create or replace function crosslink_memberships_access() returns trigger
language plpgsql as $$
begin
  perform crosslink_notify_access(jsonb_build_object('scope', 'membership', 'userId', old.user_id, 'organizationId', old.organization_id));
  return null;
end $$;
--> statement-breakpoint
create trigger memberships_access_events
  after update of role, user_id, organization_id or delete on memberships
  for each row execute function crosslink_memberships_access();
--> statement-breakpoint
-- A session ends (sign-out, expiry clean-up, user deleted), is shortened, or
-- switches organisation (socket.io rooms follow the active organisation).
create or replace function crosslink_sessions_access() returns trigger
language plpgsql as $$
begin
  if tg_op = 'UPDATE' and new.expires_at >= old.expires_at
     and new.active_organization_id is not distinct from old.active_organization_id then
    return null;
  end if;
  perform crosslink_notify_access(jsonb_build_object('scope', 'session', 'userId', old.user_id, 'credentialId', old.id));
  return null;
end $$;
--> statement-breakpoint
create trigger sessions_access_events
  after update of expires_at, active_organization_id or delete on sessions
  for each row execute function crosslink_sessions_access();
--> statement-breakpoint
create or replace function crosslink_api_tokens_access() returns trigger
language plpgsql as $$
begin
  perform crosslink_notify_access(jsonb_build_object('scope', 'api_token', 'userId', old.user_id, 'credentialId', old.id));
  return null;
end $$;
--> statement-breakpoint
create trigger api_tokens_access_events
  after update of revoked_at, expires_at, organization_id or delete on api_tokens
  for each row execute function crosslink_api_tokens_access();
