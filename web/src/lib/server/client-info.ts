import type { RequestEvent } from '@sveltejs/kit';
import type { ClientInfo } from '$db/access/accounts';

/** Where a change came from, for the audit trail. */
export function clientInfo(event: RequestEvent, via: ClientInfo['via'] = event.url.pathname.startsWith('/api/') ? 'api' : 'web'): ClientInfo {
  let ip: string | null = null;
  try {
    ip = event.getClientAddress();
  } catch {
    ip = null;
  }
  return { via, ip, userAgent: event.request.headers.get('user-agent') };
}

export function clientIp(event: RequestEvent): string {
  try {
    return event.getClientAddress();
  } catch {
    return 'unknown';
  }
}
