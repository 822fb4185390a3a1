#!/usr/bin/env node
/**
 * The `switchyard` executable: `run` with the process's arguments, streams and environment.
 * `importer` is where `@switchyard/import` plugs in (see README § "Foreign formats").
 */
import { run } from './cli.js';
import { importer } from './importers.js';

const code = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }, { importer });
process.exitCode = code;
// Everything is closed by now; should a handle linger (a socket a peer keeps open), do not hang.
setTimeout(() => process.exit(code), 2000).unref();
