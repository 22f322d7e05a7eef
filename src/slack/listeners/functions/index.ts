import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import { register as registerCheckS3Destination } from './check-s3-destination';

/** Registers every Workflow Builder step the app offers: "Check an S3 destination". */
export function register(app: App, deps: Deps): void {
  registerCheckS3Destination(app, deps);
}
