import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { Deps } from '../../../deps-types';
import { tellClicker, type BlockActionArgs } from '../../block-actions';
import { guardClick } from '../../click-guard';
import { ADMINS_ONLY, requestLogger } from '../../context';
import { ACTION, COMMAND } from '../../ids';
import { checkAndSaveSession } from '../../workflows/check-and-save';

const sessionIdSchema = z.string().uuid();

/** Check and Save: verify the bucket, tell the channel, save the destination on success. */
export function register(app: App, deps: Deps): void {
  app.action(ACTION.checkAndSave, async (args: BlockActionArgs) => {
    await args.ack();
    const log = requestLogger(deps, args.context);
    const tell = tellClicker(args, log);
    const rule = {
      parse: (value: string | undefined) => sessionIdSchema.safeParse(value).data,
      invalid: `This button is not valid any more: run \`${COMMAND} setup\` again.`,
      adminsOnly: ADMINS_ONLY,
    };
    const click = await guardClick(deps, args, rule, tell);
    if (!click) return;
    await checkAndSaveSession(
      deps,
      { client: args.client, responseUrl: args.body.response_url },
      {
        teamId: click.teamId,
        sessionId: click.value,
        userId: click.userId,
        tell,
        fromInstructions: true,
      },
      log,
    );
  });
}
