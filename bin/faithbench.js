#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so plugins written in TypeScript load too.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli.ts');
