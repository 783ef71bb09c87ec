/**
 * Load JupyterLab at the given URL in Debian's Chromium and check that memlens
 * is there (its sidebar tab) and that the page logged no console errors.
 * Used by scripts/check_jupyterlab_versions.py: node ui-tests/load-check.js URL
 */
const { chromium } = require('@playwright/test');

async function main(url) {
  const browser = await chromium.launch({
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
  });
  const errors = [];
  try {
    const page = await browser.newPage();
    page.on('console', message => {
      if (message.type() === 'error') {
        errors.push(`console: ${message.text()}`);
      }
    });
    page.on('pageerror', error => errors.push(`page: ${error.message}`));
    await page.goto(url);
    await page.waitForSelector('#jp-main-dock-panel', { timeout: 90000 });
    await page.waitForSelector('.lm-TabBar-tab[data-id="jp-memlens-sidebar"]', {
      timeout: 30000
    });
    // Let late plugin activations and settings loads report their errors too.
    await page.waitForTimeout(3000);
    console.log(`loaded ${url}: memlens sidebar tab present`);
  } finally {
    await browser.close();
  }
  if (errors.length > 0) {
    console.error(errors.join('\n'));
    process.exit(1);
  }
}

main(process.argv[2]).catch(error => {
  console.error(error);
  process.exit(1);
});
