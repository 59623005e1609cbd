#!/usr/bin/env node
'use strict';
// `npx synapse-gateway [--host H] [--port P] [--api-key K] [--deny-private-urls]`: the REST gateway.
// Flags, defaults and behaviour live in the Rust core (`synapse gateway` runs the same code). Node
// owns the process's signals, so SIGINT and SIGTERM are forwarded to the core's graceful stop.
const { gatewayMain, stopGateway } = require('../native.js');

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopGateway());
gatewayMain(process.argv.slice(2)).then((code) => process.exit(code));
