/** Thunderbird's `messenger.runtime` and `messenger.tabs` are Firefox's (the add-on's own config only). */
declare namespace messenger {
    const runtime: typeof browser.runtime;
    const tabs: typeof browser.tabs;
}
