// Test-only preload (node --import tsx --import ./testing/kill-during-write.ts main.ts ...): the
// KILL_AT-th rename onto a file named KILL_TARGET cuts the temporary file to half its length and
// kills the process with SIGKILL, as a power cut in the middle of writing a checkpoint would.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const target = process.env.KILL_TARGET ?? '';
const at = Number(process.env.KILL_AT ?? '1');
let seen = 0;
const rename = fs.renameSync;
fs.renameSync = (from: fs.PathLike, to: fs.PathLike): void => {
  if (target !== '' && String(to).endsWith(`/${target}`) && ++seen === at) {
    fs.truncateSync(from, Math.floor(fs.statSync(from).size / 2));
    process.kill(process.pid, 'SIGKILL');
  }
  rename(from, to);
};
// the ES module bindings (import { renameSync } from 'node:fs') follow the patched function
syncBuiltinESMExports();
