/**
 * Undo of this person's own changes on a live document: a Y.UndoManager that
 * tracks only the session's origin, so undo never takes back what someone
 * else did (their changes arrive with the provider as origin).
 */
import * as Y from 'yjs';

export class OwnUndo {
  canUndo = $state(false);
  canRedo = $state(false);
  readonly manager: Y.UndoManager;

  /**
   * `scope`: the shared types undo covers. `captureTimeout` 0 (the default)
   * makes each transaction one undo step: editors make one transaction per
   * user action.
   */
  constructor(scope: Y.AbstractType<any>[], origin: object, opts: { captureTimeout?: number } = {}) {
    this.manager = new Y.UndoManager(scope, { trackedOrigins: new Set([origin]), captureTimeout: opts.captureTimeout ?? 0 });
    const onStack = () => {
      this.canUndo = this.manager.undoStack.length > 0;
      this.canRedo = this.manager.redoStack.length > 0;
    };
    this.manager.on('stack-item-added', onStack);
    this.manager.on('stack-item-popped', onStack);
    this.manager.on('stack-cleared', onStack);
  }

  undo() {
    this.manager.undo();
  }
  redo() {
    this.manager.redo();
  }
  destroy() {
    this.manager.destroy();
  }
}
