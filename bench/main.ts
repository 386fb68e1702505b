import { createBenchCommand } from './command.js';

await createBenchCommand().name('npm run bench --').parseAsync();
