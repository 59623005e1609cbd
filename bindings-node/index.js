'use strict';
// @runsynapse/sdk: the native engine (native.js loads the addon built by `npm run build`), plus the
// one piece of glue Node needs: flushing pending deliveries when the process exits.
const native = require('./native.js');

// Blocking here is what is wanted: 'exit' handlers must finish synchronously, and the deliveries
// themselves run on the engine's own threads. Bounded by SYNAPSE_EXIT_FLUSH_TIMEOUT_MS or
// Cell.setExitFlushTimeout().
process.once('exit', () => native.shutdown());

exports.Cell = native.Cell;
