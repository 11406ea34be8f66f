/** Fixed card geometry, so lanes can be windowed without measuring cards. */
export const CARD_H = 112;
export const CARD_GAP = 8;
export const ROW_H = CARD_H + CARD_GAP;
export const LANE_W = 272;
/** Cards rendered above and below the visible part of a lane. */
export const OVERSCAN = 4;

export const depiction = (id: string, w = 120, h = 90) => `/api/v1/molecules/${encodeURIComponent(id)}/depiction.svg?w=${w}&h=${h}`;
