// Tests that spawn `dist/` entry points (CLI, emulators as child processes) need a fresh build.
// `npm test` runs `pretest` (tsc) first; this guard only explains what is missing when jest is run directly.
const fs = require('fs');
const path = require('path');
module.exports = async () => {
  const cli = path.join(__dirname, '..', '..', 'dist', 'cli', 'dvsync.js');
  if (!fs.existsSync(cli)) {
    throw new Error(`dist/ is missing (${cli}). Run "npm run build" (npm test does it for you) before running jest directly.`);
  }
};
