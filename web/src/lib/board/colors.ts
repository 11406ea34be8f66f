/** Colours for lanes (plot legend, lane accents) and people (avatars, outlines, cursors). */

const LANE_COLORS: Record<string, string> = {
  ideas: '#5b6b82',
  make: '#a15c00',
  test: '#6a3fb0',
  advance: '#17663a',
  drop: '#b42318'
};
/** For lanes people add: distinct, dark enough for white text and for 3:1 against white. */
const EXTRA = ['#0f5c6e', '#c2185b', '#1d6fd1', '#7a5a00', '#00796b', '#8e24aa', '#5d4037', '#3949ab'];

export function laneColor(laneId: string, index: number): string {
  return LANE_COLORS[laneId] ?? EXTRA[index % EXTRA.length];
}

/** 6-digit hex only (the note editor's carets accept nothing else). */
const PEOPLE = ['#0f5c6e', '#b42318', '#6a3fb0', '#1d6fd1', '#a15c00', '#17663a', '#c2185b', '#00796b', '#5d4037', '#3949ab'];

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
