#!/usr/bin/env node
'use strict';
// `npx synapse-gateway [--host H] [--port P] [--api-key K] [--deny-private-urls]`: the REST gateway.
// Flags, defaults and behaviour live in the Rust core (`synapse gateway` runs the same code).
const { gatewayMain } = require('../native.js');

gatewayMain(process.argv.slice(2)).then((code) => process.exit(code));
