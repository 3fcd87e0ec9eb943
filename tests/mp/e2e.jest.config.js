// Jest config of the end-to-end page tests (npm run test:e2e): the pages
// against the real server binary (MALL_SERVER_BIN, default
// target/debug/mall-server; build it first with `cargo build -p mall-server --features demo`).
'use strict';
const base = require('./jest.config.js');

module.exports = Object.assign({}, base, {
  testMatch: ['**/tests/mp/e2e*.test.js'],
  testPathIgnorePatterns: ['/node_modules/'],
  maxWorkers: 1,
  testTimeout: 60000,
});
