import type { Deps } from '../../deps-types';
import { servedPartitions } from '../../domain/principal';
import { requestLogger } from '../context';
import { slackErrorCode } from '../messaging';
import { parseSetupMetadata } from '../metadata';
import type { ModalUpdates } from '../modal-updates';
import type { SetupDraft } from '../setup-draft';
import { readSetupDraft } from '../setup-state';
import { buildSetupModal } from '../views/setup-modal';
import type { BlockActionArgs } from '../block-actions';

/**
 * Rebuilds the setup modal an action came from, keeping every input's value (`change` may adjust
 * the draft, e.g. to the format just chosen), through `modals` so that an older action's modal
 * never replaces a newer one's.
 */
export async function updateSetupModal(
  deps: Deps,
  args: BlockActionArgs,
  modals: ModalUpdates,
  change: (draft: SetupDraft) => void = () => undefined,
): Promise<void> {
  const { body, client } = args;
  const log = requestLogger(deps, args.context);
  const view = body.view;
  const metadata = parseSetupMetadata(view?.private_metadata);
  if (!view || !metadata) {
    log.warn('a setup modal action without a setup modal to update');
    return;
  }
  const actedAt = Number((args.action as { action_ts?: unknown }).action_ts);
  // Tracked like every work after an ack, so that shutdown waits for it.
  await deps.tasks.run(
    () =>
      modals.update(
        {
          viewId: view.id,
          hash: view.hash,
          actedAt: Number.isFinite(actedAt) ? actedAt : Date.now() / 1000,
          build: () => {
            const draft = readSetupDraft(view.state?.values);
            change(draft);
            return buildSetupModal(metadata, servedPartitions(deps.settings.principals), draft);
          },
        },
        async (viewId, hash, modal) => {
          try {
            const result = await client.views.update({ view_id: viewId, hash, view: modal });
            return { hash: result.view?.hash };
          } catch (error) {
            if (slackErrorCode(error) === 'hash_conflict') return 'conflict';
            throw error;
          }
        },
      ),
    (error) => log.error({ err: error }, 'views.update failed'),
  );
}
