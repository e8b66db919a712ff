export * from './types.js';
export * from './errors.js';
export * from './events.js';
export * from './features.js';
export * from './metrics.js';
export * from './sequence.js';
export * from './vector.js';
export * from './model-dir.js';
