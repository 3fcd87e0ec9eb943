// Jest config of the mini-program page tests (npm run test:mp).
'use strict';
const path = require('path');

module.exports = {
  rootDir: path.resolve(__dirname, '..', '..'),
  roots: ['<rootDir>/tests/mp'],
  testMatch: ['**/*.test.js'],
  // e2e.test.js needs the server binary: npm run test:e2e (tests/mp/e2e.jest.config.js)
  testPathIgnorePatterns: ['/node_modules/', '/tests/mp/e2e[^/]*\\.test\\.js$'],
  testEnvironment: 'jsdom',
  snapshotSerializers: ['miniprogram-simulate/jest-snapshot-plugin'],
  // small: 2 shared cores
  maxWorkers: 1,
  testTimeout: 20000,
};
