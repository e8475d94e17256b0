// The shim's atomic write, bundled into dist/shim.js in place of write-file-atomic (see scripts/build.mjs).
// Same contract for conman's uses: a temp file in the same directory, written, fsynced unless
// `fsync: false`, renamed over the target; a failure removes the temp file. write-file-atomic adds a crypto
// hash for the temp name and a signal-exit hook per write; in the shim, which starts once per container and
// writes two small files, loading those cost ~8 ms CPU per container (measured), so the shim does without.
'use strict';
const fs = require('node:fs');

let seq = 0;

function sync(file, data, options) {
  const o = options || {};
  const tmp = `${file}.${process.pid}.${++seq}.tmp`;
  let fd = -1;
  try {
    fd = fs.openSync(tmp, 'w', o.mode === undefined ? 0o666 : o.mode);
    if (o.mode !== undefined) fs.fchmodSync(fd, o.mode);
    fs.writeFileSync(fd, data);
    if (o.fsync !== false) fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = -1;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd >= 0) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

module.exports = { sync };
