/**
 * Request and response schemas of the REST API (accounts, organisations, tokens,
 * notifications, audit, system; the registry's are in registry-schemas.ts, the
 * libraries' in library-schemas.ts). The same zod objects validate requests,
 * describe every response (openapi.ts) and give the browser its types
 * (`z.output`, $lib/api/types.ts), so the three cannot drift. Response bodies are
 * what goes on the wire: timestamps are ISO strings. Enums come from the Drizzle
 * pgEnums, never retyped.
 */
import { z } from 'zod';
import { membershipRole as membershipRoleEnum, organizationKind as organizationKindEnum } from '$db/schema';

export const uuid = z.uuid();
/** A moment as JSON carries it: `Date#toISOString()` (what `JSON.stringify` writes for a Date). */
export const timestamp = z.iso.datetime();

/** `meta` of a paginated list (respond.ts `Meta`). */
export const meta = z
  .object({
    page: z.number().int(),
    page_size: z.number().int(),
    total: z.number().int(),
    /** Set where a list may count approximately: true when `total` is the planner's estimate (GET /molecules). */
    total_is_estimate: z.boolean().optional()
  })
  .meta({ id: 'Meta' });
/** `{ data }`, the success envelope. */
export const data = <T extends z.ZodType>(body: T) => z.object({ data: body });
/** `{ data: [item…], meta }`. */
export const page = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), meta });

/** A required text field whose error reads well next to the field name. */
const text = () => z.string({ error: (i) => (i.input === undefined ? 'is required' : 'must be text') });
export const organizationKind = z.enum(organizationKindEnum.enumValues, { error: 'must be "pharma" (sponsor) or "cro"' }).meta({ description: 'pharma: a sponsor; cro: a contract research organisation' });
export const membershipRole = z.enum(membershipRoleEnum.enumValues, { error: 'must be one of owner, admin, scientist, viewer' });

export const email = z.email({ error: (i) => (i.input === undefined ? 'is required' : 'must be a valid email address') }).max(254).transform((v) => v.trim().toLowerCase());
export const password = text()
  .min(10, 'must be at least 10 characters')
  .max(256, 'must be at most 256 characters');

export const signupRequest = z
  .object({
    email,
    password,
    name: text().trim().min(1, 'is required').max(120),
    organization: z.object({
      name: text().trim().min(2, 'must be at least 2 characters').max(120),
      kind: organizationKind
    }, { error: 'is required: { name, kind }' })
  })
  .meta({ id: 'SignupRequest' });

export const loginRequest = z
  .object({ email: text().trim().min(1, 'is required').max(254), password: text().min(1, 'is required').max(256) })
  .meta({ id: 'LoginRequest' });

export const organization = z.object({ id: uuid, name: z.string(), kind: organizationKind }).meta({ id: 'Organization' });
export const user = z.object({ id: uuid, email: z.string(), name: z.string() }).meta({ id: 'User' });
export const membership = z.object({ organization, role: membershipRole }).meta({ id: 'Membership' });

export const signupResponse = z.object({ data: z.object({ user, organization, token: z.string(), expires_at: timestamp }) });
export const loginResponse = z.object({ data: z.object({ token: z.string(), user, expires_at: timestamp }) });
export const signedOutResponse = z.object({ data: z.object({ signed_out: z.literal(true) }) });
export const meResponse = z.object({
  data: user.extend({ active_organization_id: uuid.nullable(), memberships: z.array(membership) })
});

export const switchOrganizationRequest = z.object({ organization_id: uuid }).meta({ id: 'SwitchOrganizationRequest' });
export const switchOrganizationResponse = z.object({ data: z.object({ organization }) });

export const createTokenRequest = z
  .object({
    name: text().trim().min(1, 'is required').max(80),
    expires_in_days: z.number().int().min(1).max(3650).nullable().optional()
  })
  .meta({ id: 'CreateApiTokenRequest' });
export const apiToken = z
  .object({
    id: uuid,
    name: z.string(),
    prefix: z.string(),
    organization_id: uuid,
    last_used_at: timestamp.nullable(),
    expires_at: timestamp.nullable(),
    revoked_at: timestamp.nullable(),
    created_at: timestamp
  })
  .meta({ id: 'ApiToken' });
export const apiTokensResponse = z.object({ data: z.array(apiToken) });
/** The secret `token` is in this response only. */
export const createdApiTokenResponse = z.object({ data: apiToken.extend({ token: z.string() }) });
export const revokedResponse = z.object({ data: z.object({ id: uuid, revoked: z.literal(true) }) });

export const createInvitationRequest = z
  .object({ role: membershipRole, email: email.nullable().optional() })
  .meta({ id: 'CreateInvitationRequest' });
export const invitation = z
  .object({
    id: uuid,
    role: membershipRole,
    email: z.string().nullable(),
    expires_at: timestamp,
    accepted_at: timestamp.nullable(),
    revoked_at: timestamp.nullable(),
    created_at: timestamp
  })
  .meta({ id: 'Invitation' });
export const invitationsResponse = z.object({ data: z.array(invitation) });
/** `url` (the link to send) and its `token` are in this response only. */
export const createdInvitationResponse = z.object({ data: invitation.extend({ token: z.string(), url: z.string() }) });
/** What an invitation link offers, before signing in. */
export const invitationOfferResponse = z.object({ data: z.object({ organization, role: membershipRole, email: z.string().nullable() }) });
export const joinedResponse = z.object({ data: z.object({ organization, role: membershipRole }) });

export const changeRoleRequest = z.object({ role: membershipRole }).meta({ id: 'ChangeRoleRequest' });

export const member = z
  .object({ user, role: membershipRole, joined_at: timestamp })
  .meta({ id: 'Member' });
export const membersResponse = z.object({ data: z.array(member) });
/** PATCH /organizations/{id}/members/{userId} answers in the access layer's own names (camelCase `userId`). */
export const roleChangedResponse = z.object({ data: z.object({ userId: uuid, role: membershipRole }) });
export const memberRemovedResponse = z.object({ data: z.object({ user_id: uuid, removed: z.literal(true) }) });

/**
 * A notification as GET /notifications sends it: the row under its Drizzle
 * names (camelCase, as the socket.io `notification` event also carries it).
 */
export const notification = z
  .object({
    id: uuid,
    userId: uuid,
    organizationId: uuid.nullable(),
    kind: z.string(),
    title: z.string(),
    body: z.string().nullable(),
    link: z.string().nullable(),
    readAt: timestamp.nullable(),
    createdAt: timestamp
  })
  .meta({ id: 'Notification' });
export const notificationsResponse = page(notification);
export const markedReadResponse = z.object({ data: z.object({ read: z.literal(true) }) });
export const markReadRequest = z
  .object({ ids: z.union([z.array(uuid).max(500), z.literal('all')]) })
  .meta({ id: 'MarkNotificationsReadRequest' });

export const errorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ field: z.string().optional(), message: z.string() })).optional()
    })
  })
  .meta({ id: 'Error' });

export const healthResponse = z.object({
  data: z.object({
    status: z.enum(['ok', 'degraded']),
    checks: z.record(z.string(), z.enum(['ok', 'fail']))
  })
});

// ---------------------------------------------------------------- audit trail

const auditProblem = z.object({
  /** The event where the chain breaks, or the one a failing checkpoint names. */
  event_id: z.number().int().nullable(),
  checkpoint_id: z.number().int().nullable(),
  reason: z.string()
});
export const auditVerification = z
  .object({
    organization_id: uuid,
    /** The chain recomputes and agrees with every checkpoint. */
    status: z.enum(['ok', 'broken']),
    events: z.number().int(),
    head: z.object({ event_id: z.number().int(), hash: z.string() }).nullable(),
    checkpoints_checked: z.number().int(),
    newest_checkpoint: z
      .object({ id: z.number().int(), last_event_id: z.number().int(), event_count: z.number().int(), created_at: z.string() })
      .nullable(),
    /** Events after the newest checkpoint: covered by the chain only, until the next checkpoint. */
    events_after_newest_checkpoint: z.number().int(),
    /** False when the server has no AUDIT_CHECKPOINT_KEY: checkpoints are then not checked. */
    anchored: z.boolean(),
    /** Where and why, when broken; the first break of the chain, then each failing checkpoint. */
    problems: z.array(auditProblem)
  })
  .meta({ id: 'AuditVerification' });
export const auditVerificationResponse = z.object({ data: auditVerification });
export const auditCheckpointResponse = z.object({
  data: z.object({ verification: auditVerification, checkpoint: z.object({ id: z.number().int(), last_event_id: z.number().int(), event_count: z.number().int() }).nullable() })
});
