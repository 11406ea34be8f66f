/**
 * @mentions in comments. Stored as `@[Name](userId)` (common/board.ts reads the
 * ids for notifications); people type and see `@Name`.
 */
import type { Person } from './types';

export type Segment = { text: string; mention?: { id: string; name: string } };

const MARKUP = /@\[([^\]]{1,100})\]\(([0-9a-f-]{36})\)/g;

/** Comment text as plain pieces and mentions, for rendering without HTML. */
export function segments(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(MARKUP)) {
    if (m.index! > last) out.push({ text: text.slice(last, m.index) });
    out.push({ text: '@' + m[1], mention: { name: m[1], id: m[2] } });
    last = m.index! + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

/**
 * Turns the `@Name` a person picked from the list into markup. Only picked
 * names become mentions (typing "@Ana" by hand without picking is just text).
 */
export function toMarkup(text: string, picked: Person[]): string {
  let out = text;
  // Longest names first, so "@Ana Lopez" wins over "@Ana".
  for (const p of [...new Map(picked.map((x) => [x.id, x])).values()].sort((a, b) => b.name.length - a.name.length)) {
    const plain = '@' + p.name;
    let from = 0;
    for (;;) {
      const i = out.indexOf(plain, from);
      if (i < 0) break;
      // Not already markup (preceded by "@[") and not the start of a longer word.
      const next = out[i + plain.length];
      if (out.slice(i, i + 2) === '@[' || (next && /[\p{L}\p{N}_]/u.test(next))) {
        from = i + plain.length;
        continue;
      }
      const markup = `@[${p.name.replace(/[[\]]/g, '')}](${p.id})`;
      out = out.slice(0, i) + markup + out.slice(i + plain.length);
      from = i + markup.length;
    }
  }
  return out;
}

/** The "@que" being typed just before the caret, if any: where it starts and what it says. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const m = /(^|\s)@([^\s@[\]()]{0,30}(?: [^\s@[\]()]{0,30})?)$/u.exec(before);
  if (!m) return null;
  const query = m[2];
  return { start: caret - query.length - 1, query };
}

export function matchPeople(people: Person[], query: string, limit = 6): Person[] {
  const q = query.trim().toLowerCase();
  if (!q) return people.slice(0, limit);
  const starts = people.filter((p) => p.name.toLowerCase().startsWith(q) || p.name.toLowerCase().split(/\s+/).some((w) => w.startsWith(q)));
  const rest = people.filter((p) => !starts.includes(p) && p.name.toLowerCase().includes(q));
  return [...starts, ...rest].slice(0, limit);
}
