'use strict';
// Runs s3rver in a process of its own, started by s3-local.ts with --openssl-legacy-provider:
// s3rver signs ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node 17+) only offers
// through the legacy provider, and without it every truncated listing answers 500.
// Plain JavaScript, so the child needs no TypeScript loader.
const S3rver = require('s3rver');

const directory = process.argv[2];
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });

server.run().then(
  ({ port }) => process.send({ type: 'listening', port }),
  (error) => {
    const message = String(error && error.stack ? error.stack : error);
    process.send({ type: 'failed', message }, () => process.exit(1));
  },
);

process.on('message', (message) => {
  if (message === 'stop') {
    server.close().finally(() => process.exit(0));
  }
});
// The parent is gone (crashed, killed, test run aborted): do not outlive it.
process.on('disconnect', () => process.exit(0));
