/**
 * Galata in Debian's Chromium (never a downloaded browser), against a
 * JupyterLab started from jupyter_server_test_config.py on a port of its own.
 */
const { execFileSync } = require('child_process');
const path = require('path');
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

// One port for the whole run. Playwright loads this file again in every
// worker; the workers inherit the environment set here, so they all agree.
if (!process.env.MEMLENS_UI_PORT) {
  process.env.MEMLENS_UI_PORT = execFileSync(
    process.execPath,
    [path.join(__dirname, 'free-port.js')],
    { encoding: 'utf-8' }
  ).trim();
}
const baseURL = `http://localhost:${process.env.MEMLENS_UI_PORT}`;

module.exports = {
  ...baseConfig,
  timeout: 120000,
  // The gateway specs need their own servers: playwright.gateway.config.js.
  testIgnore: ['**/gateway/**'],
  retries: 0,
  workers: 1,
  reporter: [['list']],
  use: {
    ...baseConfig.use,
    baseURL,
    video: 'off',
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic'
      ]
    }
  },
  webServer: {
    command: 'npm start',
    url: `${baseURL}/lab`,
    timeout: 120 * 1000,
    // Always start our own server: a JupyterLab found on the port is someone
    // else's (with their notebooks and kernels), never one to test against.
    reuseExistingServer: false
  }
};
