// Entry point of the page bundle (hub/web/static/app.js, built by web/build.mjs). For now it
// exposes the crypto module; the inbox and send pages build on it.

export * from './crypto/index.js';
