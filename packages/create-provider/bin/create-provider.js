#!/usr/bin/env node
// Committed entry point, so that `npm ci` links the bin before the first build.
import '../dist/bin.js';
