import { accessSync, constants } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where Chromium or Chrome is found on the machines users have, after CHROMIUM_PATH. */
const KNOWN_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/**
 * A headless Chromium for the tests that check an HTML report as a browser draws it: the one in
 * CHROMIUM_PATH, else a Chromium or Chrome where Debian, Ubuntu or Google install it, else the
 * one Playwright downloads (`npx playwright install chromium`). With none, it fails with one line
 * saying how to get one.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = [process.env.CHROMIUM_PATH, ...KNOWN_PATHS, chromium.executablePath()].find((path): path is string => !!path && executable(path));
  if (!executablePath) {
    const error = new Error(
      'no Chromium to open the HTML report in: install one (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome',
    );
    error.stack = `Error: ${error.message}`; // the line says it all; a stack would bury it
    throw error;
  }
  return chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
