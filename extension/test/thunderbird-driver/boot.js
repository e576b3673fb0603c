// Test build only: open the driver page once Thunderbird has started.
const api = /** @type {any} */ (globalThis).messenger;
api.tabs.create({ url: 'driver/driver.html' });
