#!/usr/bin/env node
import { VERSION } from './version';

process.stdout.write(`act ${VERSION}\n`);
