/** How a person shows in any live document: a colour of their own (avatars, outlines, cursors, carets) and initials. */

/** 6-digit hex only (the note editor's carets accept nothing else). */
const PEOPLE = ['#0f5c6e', '#b42318', '#6a3fb0', '#1d6fd1', '#a15c00', '#17663a', '#c2185b', '#00796b', '#5d4037', '#3949ab'];

/** The same colour for the same person on every client, without asking anyone. */
export function userColor(userId: string): string {
  let h = 0;
  for (let i = 0; i < userId.length; i++) h = (h * 31 + userId.charCodeAt(i)) >>> 0;
  return PEOPLE[h % PEOPLE.length];
}

export const initials = (name: string) =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .map((p) => p[0])
    .join('')
    .slice(0, 2)
    .toUpperCase() || '?';
