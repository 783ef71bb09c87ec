/**
 * Galata through a Jupyter Kernel Gateway: a kernel gateway on a free port of
 * its own, and the test JupyterLab pointed at it (GatewayClient.url), so kernels
 * run remotely, as with Kernel/Enterprise Gateway, where no server extension
 * runs next to the kernel. Runs tests/gateway/ only.
 */
const { execFileSync } = require('child_process');
const path = require('path');
const main = require('./playwright.config');

function freePort() {
  return execFileSync(
    process.execPath,
    [path.join(__dirname, 'free-port.js')],
    {
      encoding: 'utf-8'
    }
  ).trim();
}

// Workers load this file again; the environment set here the first time wins.
if (!process.env.MEMLENS_GATEWAY_PORT) {
  process.env.MEMLENS_GATEWAY_PORT = freePort();
}
const gatewayURL = `http://127.0.0.1:${process.env.MEMLENS_GATEWAY_PORT}`;
process.env.MEMLENS_GATEWAY_URL = gatewayURL;

module.exports = {
  ...main,
  testIgnore: [],
  testMatch: 'gateway/**/*.spec.ts',
  webServer: [
    {
      command:
        'jupyter kernelgateway --KernelGatewayApp.ip=127.0.0.1' +
        ` --KernelGatewayApp.port=${process.env.MEMLENS_GATEWAY_PORT}` +
        ' --KernelGatewayApp.port_retries=0' +
        ' --JupyterWebsocketPersonality.list_kernels=True',
      url: `${gatewayURL}/api`,
      timeout: 120 * 1000,
      reuseExistingServer: false
    },
    main.webServer
  ]
};
