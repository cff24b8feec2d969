#!/usr/bin/env node
import { runCli } from './run-cli';

process.exitCode = await runCli({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: (line) => console.log(line),
  stderr: (line) => console.error(line),
});
