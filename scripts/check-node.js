// Runs first in `npm start` (before its build) and the other commands that build or start the bot,
// on whatever Node the machine has, so that an old Node gets one line saying what is needed
// instead of a failure later in the build or at start. Plain CommonJS that any Node parses.
'use strict';

const floor = /^>=\s*(\d+)/.exec(require('../package.json').engines.node);
const needed = floor ? Number(floor[1]) : 0;
const running = Number(process.versions.node.split('.')[0]);

if (running < needed) {
  process.stderr.write(
    `s3-destination-bot needs Node.js ${needed} or later; this is Node.js ${process.versions.node}.\n`,
  );
  process.exit(1);
}
