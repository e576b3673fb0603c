/**
 * Module resolve hook: in the source tree, `extension/<target>/common/...` (and
 * `<target>/<dir>/../common/...`) is `extension/common/...`, as the packager lays it out.
 */
const ROOT = new URL('../', import.meta.url).href;
const TARGET_COMMON = new RegExp(`^${ROOT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(chrome|thunderbird)/common/`);

/**
 * @param {string} specifier
 * @param {{parentURL?: string}} context
 * @param {Function} next
 */
export async function resolve(specifier, context, next) {
  if ((specifier.startsWith('./') || specifier.startsWith('../')) && context.parentURL) {
    const url = new URL(specifier, context.parentURL).href;
    if (TARGET_COMMON.test(url)) return next(url.replace(TARGET_COMMON, `${ROOT}common/`), context);
  }
  return next(specifier, context);
}
