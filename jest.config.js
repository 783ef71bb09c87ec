/** jest: TypeScript through ts-jest, tests in test/, the fixture read from protocol/. */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/test', '<rootDir>/src'],
  setupFiles: ['<rootDir>/test/setup.ts'],
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  modulePathIgnorePatterns: [
    '<rootDir>/memlens/labextension',
    '<rootDir>/ui-tests',
    '<rootDir>/lib'
  ],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }]
  }
};
