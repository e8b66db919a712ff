#!/usr/bin/env node
// Entry of the `aisle` command. The CLI is written in TypeScript and run through tsx's loader,
// so the package ships one source of truth for training, serving and evaluation.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
