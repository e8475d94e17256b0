// Bundled in place of graceful-fs (see scripts/build.mjs). graceful-fs patches node's fs at load (and loads node's
// whole stream stack to do it) to retry opens that fail with EMFILE; proper-lockfile is its only user in
// conman and opens nothing: plain fs does the same job, without ~5-10 ms on every start.
'use strict';
module.exports = require('node:fs');
