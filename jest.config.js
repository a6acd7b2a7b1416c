import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// One jest run over the workspaces and the delivery checks; ts-jest in ESM mode
// (run with NODE_OPTIONS=--experimental-vm-modules).
const here = dirname(fileURLToPath(import.meta.url));
// the workspace package from its source, as tsc type-checks it (its dist is for node)
const workspacePackages = { '^@orders/health-snapshot$': join(here, 'services/health-snapshot/src/index.ts') };

const project = (name, dir, tsconfig = `${dir}/tsconfig.json`, tests = 'test/**/*.test.ts', ignore = []) => ({
  displayName: name,
  rootDir: dir,
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { ...workspacePackages, '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig, diagnostics: false }],
  },
  testMatch: [`<rootDir>/${tests}`],
  testPathIgnorePatterns: ['/node_modules/', ...ignore],
});

// a project joins the run once it has tests
const withTests = (p) => existsSync(join(here, p.rootDir.replace('<rootDir>/', ''), 'test'));

export default {
  projects: [
    project('order-service', '<rootDir>/services/order-service', '<rootDir>/tsconfig.json', 'test/**/*.test.ts', ['/test/resilience/']),
    // issue 7: real processes under faults (npm run test:resilience; part of npm test and CI)
    project('resilience', '<rootDir>/services/order-service', '<rootDir>/tsconfig.json', 'test/resilience/**/*.test.ts'),
    project('health-snapshot', '<rootDir>/services/health-snapshot', '<rootDir>/tsconfig.json'),
    project('sidecar', '<rootDir>/sidecar', '<rootDir>/tsconfig.json'),
    project('delivery', '<rootDir>/charts', '<rootDir>/../services/order-service/tsconfig.json'),
  ].filter(withTests),
  testTimeout: 30000,
};
