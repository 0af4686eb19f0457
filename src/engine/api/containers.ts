import type { Engine } from '../engine.js';
import type { Route } from './router.js';

export function routes(_engine: Engine): Route[] {
  return [];
}
