// One jest run over both workspaces; ts-jest in ESM mode (run with NODE_OPTIONS=--experimental-vm-modules).
const project = (name, dir) => ({
  displayName: name,
  rootDir: dir,
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: "<rootDir>/tsconfig.json", diagnostics: false }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
});

export default {
  projects: [project('order-service', '<rootDir>/services/order-service'), project('sidecar', '<rootDir>/sidecar')],
  testTimeout: 30000,
};
