// One jest run over the workspaces and the delivery checks; ts-jest in ESM mode
// (run with NODE_OPTIONS=--experimental-vm-modules).
const project = (name, dir, tsconfig = `${dir}/tsconfig.json`) => ({
  displayName: name,
  rootDir: dir,
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig, diagnostics: false }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
});

export default {
  projects: [
    project('order-service', '<rootDir>/services/order-service', '<rootDir>/tsconfig.json'),
    project('sidecar', '<rootDir>/sidecar', '<rootDir>/tsconfig.json'),
    project('delivery', '<rootDir>/charts', '<rootDir>/../services/order-service/tsconfig.json'),
  ],
  testTimeout: 30000,
};
