// The module hooks of record-modules.js. They run on the loader's own thread: each URL is appended to
// the file synchronously, before the module loads, so none is lost to a process that exits early.
import { appendFileSync } from 'node:fs';

let file;

export function initialize(data) {
  file = data.file;
}

export async function load(url, context, nextLoad) {
  appendFileSync(file, `${url}\n`);
  return nextLoad(url, context);
}
