/** jest: TypeScript through ts-jest, specs in spec/ (mirroring src/), the fixture read from protocol/. */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/spec', '<rootDir>/src'],
  setupFiles: ['<rootDir>/spec/setup.ts'],
  testMatch: ['<rootDir>/spec/**/*.spec.ts'],
  modulePathIgnorePatterns: [
    '<rootDir>/memlens/labextension',
    '<rootDir>/ui-tests',
    '<rootDir>/lib'
  ],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }]
  }
};
