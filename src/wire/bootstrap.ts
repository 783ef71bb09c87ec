/**
 * Loading memlens in a kernel: first ask the kernel for its installed package,
 * and only when it has none fetch the bundled kernel source (a large chunk the
 * page loads on demand, never at start).
 */

/**
 * Evaluated as a user expression of a silent, empty execute: imports the
 * installed package's comm module and registers the comm target. A user
 * expression is evaluated without assigning anything in the user's namespace,
 * and a failing one is only reported in the execute reply: no output, no
 * traceback, no `sys.last_value`, no execution count, no `In`/`Out`.
 */
export const PROBE_EXPRESSION =
  "__import__('importlib').import_module('memlens.wire.comm').register()";

/** The key of the probe in the execute request's `user_expressions`. */
export const PROBE_KEY = 'memlens';

/** The errors that say the kernel has no (usable) memlens package installed. */
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
