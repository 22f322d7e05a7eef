import type { Deps } from '../deps-types';
import type { Logger } from '../log/logger';
import { tellClicker, type BlockActionArgs } from './block-actions';
import { guardClick } from './click-guard';
import { ADMINS_ONLY, requestLogger } from './context';
import { COMMAND } from './ids';
import { checkAndSaveSession, type CheckAndSaveRequest } from './workflows/check-and-save';

/** What a Check and Save button's value says: the session, and how the check goes. */
export type CheckAndSaveClick = Omit<CheckAndSaveRequest, 'teamId' | 'userId' | 'tell'>;

/**
 * A click on a button that runs Check and Save (the instructions' own, the region fix): parse the
 * button's value, confirm an admin, then the one Check and Save of the session it names, whoever
 * clicked told along the way. `request` turns the value into the session and how it is checked.
 */
export async function checkAndSaveClick<T>(
  deps: Deps,
  args: BlockActionArgs,
  parse: (value: string | undefined) => T | undefined,
  request: (value: T, log: Logger) => CheckAndSaveClick,
): Promise<void> {
  await args.ack();
  const log = requestLogger(deps, args.context);
  const tell = tellClicker(args, log);
  const rule = {
    parse,
    invalid: `This button is not valid any more: run \`${COMMAND} setup\` again.`,
    adminsOnly: ADMINS_ONLY,
  };
  const click = await guardClick(deps, args, rule, tell);
  if (!click) return;
  await checkAndSaveSession(
    deps,
    { client: args.client, responseUrl: args.body.response_url },
    { teamId: click.teamId, userId: click.userId, tell, ...request(click.value, log) },
    log,
  );
}
