// @ts-check
// Content scripts cannot be ES modules; this one loads the module that is.
(async () => {
  const { start } = await import(chrome.runtime.getURL('gmail/main.js'));
  start();
})().catch((error) => console.warn('Panza could not start on this page:', error));
