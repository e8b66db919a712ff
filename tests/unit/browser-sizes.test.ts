/** The import scan that decides which built chunks count as loaded on every page. */
import { describe, expect, it } from 'vitest';
import { staticImportsOf } from '../../scripts/bench/browser-sizes.js';

describe('staticImportsOf', () => {
  it('finds static imports and re-exports', () => {
    const code = 'import{a as e,t}from"./aisle.worker.rolldown-runtime-C.js";import"./side-effect.js";export{b}from\'./shared.js\';export*from`./all.js`;';
    expect(staticImportsOf(code)).toEqual(['aisle.worker.rolldown-runtime-C.js', 'side-effect.js', 'shared.js', 'all.js']);
  });

  it('skips dynamic imports', () => {
    const code = 'const m=await import(`./aisle.worker.explain-B.js`);import("./lazy.js").then(f);';
    expect(staticImportsOf(code)).toEqual([]);
  });

  it('counts import text inside strings', () => {
    // A false match only adds a chunk to the counted group, never removes one.
    expect(staticImportsOf('let s=`import x from "./in-a-string.js"`;')).toEqual(['in-a-string.js']);
  });

  it('skips packages and absolute URLs', () => {
    expect(staticImportsOf('import{x}from"comlink";import"https://cdn.example/a.js";import{y}from"/abs.js";')).toEqual([]);
  });
});
