// Moved to src/lib/limit.ts (daemon start limits its reconciliation with it too).
export { Limit } from '../../lib/limit.js';
