/** Model runtime of the worker: manifest, verified model bytes, ONNX Runtime sessions, backend choice. */
export * from './backend.js';
export * from './fetch.js';
export * from './manifest.js';
export * from './model-bytes.js';
export * from './model-runner.js';
export * from './ort.js';
export * from './ort-files.js';
export * from './session.js';
export * from './sha256.js';
