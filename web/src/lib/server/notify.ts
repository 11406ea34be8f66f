/**
 * Events in the web app that people should hear about. Each becomes one
 * `notifications/deliver` job per recipient; the workers persist it and push
 * it to the recipient's open tabs over socket.io.
 */
import { organizationAdmins } from '$db/access/accounts';
import { getDb, getLog, getQueues } from './context';

export async function notifyMemberJoined(input: {
  organization: { id: string; name: string };
  role: string;
  joiner: { id: string; name: string };
}) {
  try {
    const admins = await organizationAdmins(getDb(), input.organization.id);
    await Promise.all(
      admins
        .filter((a) => a.id !== input.joiner.id)
        .map((a) =>
          getQueues().enqueue('notifications', 'deliver', {
            owner: { userId: input.joiner.id, organizationId: input.organization.id },
            notification: {
              userId: a.id,
              organizationId: input.organization.id,
              kind: 'membership.joined',
              title: `${input.joiner.name} joined ${input.organization.name} as ${input.role}`,
              link: '/settings/organization'
            }
          })
        )
    );
  } catch (err) {
    // The join itself succeeded and is audited; a lost notice must not undo it.
    getLog('notify').error('could not enqueue join notification:', err);
  }
}
