// Entry point of the page bundle (hub/web/static/app.js, built by web/build.mjs): the crypto
// module, and in a browser the controller of the page that loads it (web/src/pages/).

import { boot } from './pages/boot.js';

export * from './crypto/index.js';

if (typeof document !== 'undefined') {
  boot().catch((error) => {
    console.error(error); // eslint-disable-line no-console
    const status = document.querySelector('[data-boot-status]');
    if (status) {
      status.textContent = 'This page could not start; reload it.';
      status.hidden = false;
    }
  });
}
