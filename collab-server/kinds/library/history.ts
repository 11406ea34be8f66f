/**
 * A board's history in words (common/board.ts `describeChanges`), its
 * restore, its audit actions and its @mentions: what the generic history
 * service (services/history.ts) asks of the `library` kind.
 */
import { eq } from 'drizzle-orm';
import { describeChanges, readBoard, restoreBoard, type BoardState, type ChangeDescription } from '../../../common/board';
import { libraries } from '../../../db/schema';
import type { HistoryConfig, HistoryScope, Mention } from '../../core/kind';
import { labelsOf, UUID } from './projection';

const LIBRARY_NAME = Symbol('library.name');
/** The library's name, read once per store and only when a mention needs it. */
const libraryName = ({ tx, ref, store }: HistoryScope) =>
  store.memo(LIBRARY_NAME, async () => {
    const [row] = await tx.select({ name: libraries.name }).from(libraries).where(eq(libraries.id, ref.id));
    return row?.name ?? 'a library';
  });

export const boardHistory: HistoryConfig<BoardState, ChangeDescription> = {
  read: readBoard,
  async describe(before, after, scope) {
    const labels = labelsOf(scope.tx, scope.store);
    // Usually known already (the board's cards): only cards removed since are looked up.
    await labels.load([...before.cards, ...after.cards].map((c) => c.moleculeId));
    return describeChanges(before, after, (id) => labels.label(id));
  },
  restored: (changeId) => ({ kind: 'card.moved', text: `restored the board to change #${changeId}` }) as ChangeDescription,
  restore: (doc, version) => restoreBoard(doc, version),
  audit: { entityType: 'library', changed: 'library.board_changed', restored: 'library.board_restored' },
  mentions: {
    notification: 'library.mention',
    async find({ summary, after, author }, scope) {
      const labels = labelsOf(scope.tx, scope.store);
      const found: Mention[] = [];
      for (const d of summary) {
        if (d.kind !== 'comment.added' || !d.mentions?.length) continue;
        for (const mentioned of d.mentions) {
          if (!UUID.test(mentioned)) continue;
          const comment = after.comments[d.moleculeId!]?.find((c) => c.id === d.commentId);
          found.push({
            key: `mention:${d.commentId}:${mentioned}`,
            userId: mentioned,
            title: `${author.name} mentioned you on ${labels.label(d.moleculeId!)} in ${await libraryName(scope)}`,
            body: comment ? comment.text.replace(/@\[([^\]]+)\]\([0-9a-f-]{36}\)/g, '@$1').slice(0, 500) : null,
            link: `/libraries/${scope.ref.id}?card=${d.moleculeId}`
          });
        }
      }
      return found;
    }
  }
};
