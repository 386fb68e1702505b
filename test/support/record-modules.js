// Preloaded with `--import` (NODE_OPTIONS) into a CLI process a test starts: appends the URL of every
// module the process loads to the file named by RECORD_MODULES_TO, one a line. ES modules are seen by a
// load hook as they load; CommonJS modules that other CommonJS modules require() are not (Node 20's hooks
// see only what ESM imports), so the process's CommonJS cache is added when it exits.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const file = process.env.RECORD_MODULES_TO;
if (!file) throw new Error('record-modules.js: set RECORD_MODULES_TO to the file to write');

register('./record-modules-hooks.js', import.meta.url, { data: { file } });

process.on('exit', () => {
  const cjs = Object.keys(createRequire(import.meta.url).cache).map((path) => pathToFileURL(path).href);
  appendFileSync(file, cjs.map((url) => `${url}\n`).join(''));
});
