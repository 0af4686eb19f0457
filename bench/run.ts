/** Runs the side-by-side benchmarks: `npm run bench -- engine 30`. */
import { benchEngine } from './engine.js';

const [which = 'engine', ...rest] = process.argv.slice(2);
const suites: Record<string, () => Promise<void>> = {
  engine: () => benchEngine(Number(rest[0] ?? 30), Number(rest[1] ?? 500)),
};
const suite = suites[which];
if (!suite) {
  console.error(`unknown benchmark ${which}; one of: ${Object.keys(suites).join(', ')}`);
  process.exit(2);
}
await suite();
