#!/usr/bin/env node
/**
 * The `raftkv` bin (package.json "bin"). All logic is in main.ts; this only binds it to the
 * process. The exit code is set rather than forced with process.exit(), so pending output is
 * flushed; a command that leaves handles open would be a bug to fix, not to paper over.
 */
import { processIo } from './command.js';
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2), processIo);
