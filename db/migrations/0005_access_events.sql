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
-- One function for every table. Its arguments: the event's scope, then pairs
-- of (payload key, column). The payload is read from the row as it was (OLD);
-- when an UPDATE moved the row (to another library, user, ...) the row as it
-- is (NEW) is announced as well.
create or replace function crosslink_access_event() returns trigger
language plpgsql as $$
declare
  was jsonb := to_jsonb(old);
  now_row jsonb := case when tg_op = 'UPDATE' then to_jsonb(new) end;
  before jsonb := jsonb_build_object('scope', tg_argv[0]);
  after jsonb := before;
begin
  for i in 1 .. tg_nargs - 1 by 2 loop
    before := before || jsonb_build_object(tg_argv[i], was ->> tg_argv[i + 1]);
    after := after || jsonb_build_object(tg_argv[i], now_row ->> tg_argv[i + 1]);
  end loop;
  perform pg_notify('crosslink_access', before::text);
  if now_row is not null and after <> before then
    perform pg_notify('crosslink_access', after::text);
  end if;
  return null;
end $$;
--> statement-breakpoint
create trigger library_shares_access_events
  after update or delete on library_shares
  for each row execute function crosslink_access_event('library', 'libraryId', 'library_id');
--> statement-breakpoint
create trigger libraries_access_events
  after update of member_access, archived_at, organization_id, created_by or delete on libraries
  for each row execute function crosslink_access_event('library', 'libraryId', 'id');
--> statement-breakpoint
create trigger memberships_access_events
  after update of role, user_id, organization_id or delete on memberships
  for each row execute function crosslink_access_event('membership', 'userId', 'user_id', 'organizationId', 'organization_id');
--> statement-breakpoint
-- A session ends (sign-out, expiry clean-up, user deleted), is shortened, or
-- switches organisation (socket.io rooms follow the active organisation); one
-- that slides forward tells nobody.
create trigger sessions_access_events
  after delete on sessions
  for each row execute function crosslink_access_event('session', 'userId', 'user_id', 'credentialId', 'id');
--> statement-breakpoint
create trigger sessions_narrowed_access_events
  after update of expires_at, active_organization_id on sessions
  for each row
  when (new.expires_at < old.expires_at or new.active_organization_id is distinct from old.active_organization_id)
  execute function crosslink_access_event('session', 'userId', 'user_id', 'credentialId', 'id');
--> statement-breakpoint
create trigger api_tokens_access_events
  after update of revoked_at, expires_at, organization_id or delete on api_tokens
  for each row execute function crosslink_access_event('api_token', 'userId', 'user_id', 'credentialId', 'id');
