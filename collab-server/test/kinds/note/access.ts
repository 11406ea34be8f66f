/**
 * Who may open `note:<organisation uuid>.<slug>`: the organisation's members,
 * by role (viewers read). The organisation named in the id owns it.
 */
import type { Actor } from '../../../../db/auth';
import type { DbOrTx } from '../../../../db/client';
import type { Access } from '../../../core/kind';
import { organizationAccess } from '../../../kinds/organization';

export const NOTE_ID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.[a-z0-9-]{1,40}';

export const noteOrganization = (id: string) => id.slice(0, 36);

export function authorizeNote(db: DbOrTx, actor: Actor, id: string): Promise<Access | null> {
  return organizationAccess(db, actor, noteOrganization(id));
}
