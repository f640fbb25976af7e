#!/usr/bin/env node
// Entry point of the `passerelle` CLI. Sources are TypeScript, loaded through tsx's ESM hooks so the
// project runs from a fresh clone without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
