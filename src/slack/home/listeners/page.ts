import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import { buttonValue, type BlockActionArgs } from '../../block-actions';
import { homeClick } from '../click';
import { ACTION } from '../../ids';

const MAX_PAGE = 10_000;

/** The App Home's Previous / Next: the user's view republished at another page. */
export function register(app: App, deps: Deps): void {
  app.action(ACTION.homePage, async (args: BlockActionArgs) => {
    await args.ack();
    const click = homeClick(deps, args);
    if (!click) return;
    const raw = buttonValue(args) ?? '';
    const page = /^\d{1,5}$/.test(raw) ? Math.min(Number(raw), MAX_PAGE) : 0;
    await click.republish(undefined, page);
  });
}
