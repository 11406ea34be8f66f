/** The note editor's chunk, imported once and shared (NoteEditor shows it; LibraryBoard prefetches it). */
let loading: Promise<typeof import('./NoteBody.svelte').default> | null = null;

export function loadNoteBody() {
  loading ??= import('./NoteBody.svelte').then(
    (m) => m.default,
    (err) => {
      loading = null; // let a later attempt try again
      throw err;
    }
  );
  return loading;
}
