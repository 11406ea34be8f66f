/**
 * Other people's carets in a card's note (TipTap + y-tiptap's cursor plugin).
 *
 * The board's awareness already uses `cursor` for the pointer position on the
 * board ({x, y}), and y-tiptap reads and writes the field `cursor` whatever
 * field name it is given. So the plugin gets a view of the awareness in which
 * `cursor` is our `noteCaret` field: both coexist in one awareness state.
 */
import { Extension } from '@tiptap/core';
import { yCursorPlugin } from '@tiptap/y-tiptap';
import type { Awareness } from 'y-protocols/awareness';

type State = Record<string, unknown>;

export function awarenessField(awareness: Awareness, field: string) {
  const view = (s: State | null | undefined) => (s ? { ...s, cursor: s[field] ?? null } : s);
  return {
    get clientID() {
      return awareness.clientID;
    },
    get doc() {
      return awareness.doc;
    },
    getStates() {
      const out = new Map<number, State>();
      awareness.getStates().forEach((s, k) => out.set(k, view(s as State) as State));
      return out;
    },
    getLocalState() {
      return view(awareness.getLocalState() as State | null);
    },
    setLocalStateField(key: string, value: unknown) {
      awareness.setLocalStateField(key === 'cursor' ? field : key, value);
    },
    on(event: string, fn: (...args: unknown[]) => void) {
      awareness.on(event as 'change', fn as never);
    },
    off(event: string, fn: (...args: unknown[]) => void) {
      awareness.off(event as 'change', fn as never);
    }
  };
}

function caret(user: { name?: string; color?: string }) {
  const el = document.createElement('span');
  el.className = 'note-caret';
  // A marker, not content: screen readers and copied text should not read the name inside the note.
  el.setAttribute('aria-hidden', 'true');
  el.style.borderColor = user.color ?? '#4a5565';
  const label = document.createElement('span');
  label.className = 'note-caret-label';
  label.style.backgroundColor = user.color ?? '#4a5565';
  label.textContent = user.name ?? '';
  el.append(label);
  return el;
}

export const NoteCaret = Extension.create<{ awareness: Awareness | null }>({
  name: 'noteCaret',
  addOptions() {
    return { awareness: null };
  },
  addProseMirrorPlugins() {
    if (!this.options.awareness) return [];
    return [
      yCursorPlugin(awarenessField(this.options.awareness, 'noteCaret') as unknown as Awareness, {
        cursorBuilder: (user: { name?: string; color?: string }) => caret(user),
        selectionBuilder: (user: { color?: string }) => ({ style: `background-color: ${user.color ?? '#4a5565'}33`, class: 'note-selection' })
      })
    ];
  }
});
