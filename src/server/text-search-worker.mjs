// Entry of the text search worker thread. Node 20 does not pass the main thread's tsx loader to
// worker threads, so the worker registers tsx itself before loading the TypeScript body.
import { register } from 'tsx/esm/api';

register();
await import('./text-search-worker.ts');
