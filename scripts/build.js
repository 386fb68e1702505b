// `npm run build`: compiles bin/, src/, harness/, bench/, demo/, load-test/, lab-client/ and console/ into dist/ (tsc, tsconfig.build.json),
// copies the Lua scripts next to their compiled modules, bundles the console's page (Vite) into dist/console-ui/, and stamps the build. Plain JavaScript: it runs before anything
// is compiled, on a fresh `npm install` (the prepare script) as much as by hand.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
// Written last, only by a build that succeeded: test/support/built.ts compares the sources' times with it.
const STAMP = join(dist, '.built');

// From scratch: a module deleted or renamed in the sources must not live on in dist/.
rmSync(dist, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

// The scripts are read at run time with `new URL('./x.lua', import.meta.url)`: beside the module, in dist/ too.
for (const file of readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })) {
  if (!file.endsWith('.lua')) continue;
  mkdirSync(dirname(join(dist, 'src', file)), { recursive: true });
  copyFileSync(join(root, 'src', file), join(dist, 'src', file));
}

// The console's page, bundled with everything it imports (uPlot, its CSS), so that it opens with no network.
const { build } = await import('vite');
await build({
  configFile: false,
  root: join(root, 'console', 'ui'),
  logLevel: 'warn',
  build: { outDir: join(dist, 'console-ui'), emptyOutDir: true, reportCompressedSize: false },
});

// package.json's bin: executable, so that `./dist/bin/coupon-lab.js` runs by itself (its first line names node).
chmodSync(join(dist, 'bin', 'coupon-lab.js'), 0o755);
writeFileSync(STAMP, `${new Date().toISOString()}\n`);
