/** Colours for lanes (plot legend, lane accents); people's (avatars, outlines, cursors) come from lib/live/people.ts. */

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

// People's colours and initials are the same in every live document.
export { initials, userColor } from '$lib/live/people';
