import type { types } from '@slack/bolt';

/** One action's wish to rebuild a modal from the state its payload carried. */
export interface ModalUpdateRequest {
  readonly viewId: string;
  /** The view's hash in the action's payload: the modal as it was when the user acted. */
  readonly hash: string;
  /** When the user acted (the action's `action_ts`, in seconds), to order actions. */
  readonly actedAt: number;
  readonly build: () => types.ModalView;
}

/** One `views.update` with `hash`: the new view's hash, or `conflict` on Slack's `hash_conflict`. */
export type SendModalUpdate = (
  viewId: string,
  hash: string,
  view: types.ModalView,
) => Promise<{ readonly hash?: string } | 'conflict'>;

/** `superseded`: a newer action of the same modal shows the newer state instead. */
export type ModalUpdateOutcome = 'updated' | 'superseded' | 'conflict';

interface ModalState {
  /** The newest action seen for this modal, applied or waiting. */
  newest: number;
  /** This modal's updates, one after another. */
  queue: Promise<unknown>;
  /** The last update this process applied, with the hash Slack gave the modal then. */
  applied?: { readonly hash: string; readonly actedAt: number };
}

// Enough for every modal being typed into at once; the oldest is forgotten first.
const MAX_MODALS = 1000;

/**
 * Updates modals from the actions typed into them (each keystroke in the key template) so that an
 * older action's view never replaces a newer one's. Across replicas, Slack guarantees it: an
 * update carries the hash of the modal its action saw, and a modal changed since refuses it
 * (`hash_conflict`: a newer update won; dropped). Within this process, each modal's updates also
 * run one at a time, skipping actions a newer one has overtaken; and an action that conflicts only
 * because this process has just updated the modal for an older action is retried once with the
 * hash that update returned, so that the newest keystroke's preview is the one left on screen.
 */
export class ModalUpdates {
  private readonly modals = new Map<string, ModalState>();

  update(request: ModalUpdateRequest, send: SendModalUpdate): Promise<ModalUpdateOutcome> {
    const modal = this.stateOf(request.viewId);
    if (request.actedAt < modal.newest) return Promise.resolve('superseded');
    modal.newest = request.actedAt;
    const run = modal.queue.then(() => this.apply(modal, request, send));
    modal.queue = run.catch(() => undefined);
    return run;
  }

  private async apply(
    modal: ModalState,
    request: ModalUpdateRequest,
    send: SendModalUpdate,
  ): Promise<ModalUpdateOutcome> {
    if (request.actedAt < modal.newest) return 'superseded';
    const view = request.build();
    let answer = await send(request.viewId, request.hash, view);
    const { applied } = modal;
    if (
      answer === 'conflict' &&
      applied !== undefined &&
      applied.actedAt <= request.actedAt &&
      applied.hash !== request.hash
    ) {
      // If anything else changed the modal since, this conflicts too, and is dropped.
      answer = await send(request.viewId, applied.hash, view);
    }
    if (answer === 'conflict') return 'conflict';
    if (answer.hash !== undefined) modal.applied = { hash: answer.hash, actedAt: request.actedAt };
    return 'updated';
  }

  private stateOf(viewId: string): ModalState {
    const modal = this.modals.get(viewId) ?? { newest: -Infinity, queue: Promise.resolve() };
    // Re-inserted, so that the map's first entry is always the modal least recently acted in.
    this.modals.delete(viewId);
    this.modals.set(viewId, modal);
    if (this.modals.size > MAX_MODALS) {
      const oldest = this.modals.keys().next().value;
      if (oldest !== undefined) this.modals.delete(oldest);
    }
    return modal;
  }
}
