/**
 * Prints a TCP port that is free on localhost right now: the kernel picks it
 * when asked to listen on port 0. playwright.config.js runs this once per test
 * run, so the test JupyterLab never competes with one already running on 8888.
 */
const net = require('net');

const server = net.createServer();
server.on('error', error => {
  console.error(error);
  process.exit(1);
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  server.close(() => {
    process.stdout.write(`${port}\n`);
  });
});
