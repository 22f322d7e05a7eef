import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { Deps } from '../../../deps-types';
import type { BlockActionArgs } from '../../block-actions';
import { checkAndSaveClick } from '../../check-and-save-click';
import { ACTION } from '../../ids';

const sessionIdSchema = z.string().uuid();

/** Check and Save: verify the bucket, tell the channel, save the destination on success. */
export function register(app: App, deps: Deps): void {
  app.action(ACTION.checkAndSave, (args: BlockActionArgs) =>
    checkAndSaveClick(
      deps,
      args,
      (value) => sessionIdSchema.safeParse(value).data,
      (sessionId) => ({ sessionId, fromInstructions: true }),
    ),
  );
}
