#!/usr/bin/env node
// Entry point of the `callwright` command: runs the TypeScript sources through tsx's loader,
// so `npx callwright …` works in a checkout without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv);
