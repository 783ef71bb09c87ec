/**
 * Loading memlens in a kernel: first ask the kernel for its installed package,
 * and only when it has none fetch the bundled kernel source (a large chunk the
 * page loads on demand, never at start).
 */

/**
 * Evaluated as a user expression of a silent, empty execute: `True` once the
 * installed package's comm target is registered, `False` when the kernel has
 * no memlens package. A user expression assigns nothing in the user's
 * namespace and its value goes only into the execute reply: no output, no
 * execution count, no `In`/`Out`. It does not raise for a missing package, so
 * `sys.last_value` (what `%debug` and `%tb` show) stays the user's.
 */
export const PROBE_EXPRESSION =
  "__import__('importlib.util').util.find_spec('memlens') is not None" +
  " and __import__('importlib').import_module('memlens.wire.comm').register() is None";

/** What the probe's `text/plain` value is when memlens is installed and registered. */
export const PROBE_INSTALLED = 'True';

/** The key of the probe in the execute request's `user_expressions`. */
export const PROBE_KEY = 'memlens';

/**
 * The errors that say the installed memlens lacks the comm module: the bundle
 * is sent (and says why it cannot load either).
 */
export const MISSING_PACKAGE_ERRORS: ReadonlySet<string> = new Set([
  'ModuleNotFoundError',
  'ImportError'
]);

/**
 * The code that loads memlens in a kernel that lacks it: the bundled kernel
 * source, imported on first use so that it stays out of the first chunk.
 */
export async function loadBootstrapCode(): Promise<string> {
  const { BOOTSTRAP_CODE } = await import('../kernelSource.generated');
  return BOOTSTRAP_CODE;
}
