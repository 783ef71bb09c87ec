/**
 * Loading memlens in a kernel: first ask the kernel for its installed package,
 * and only when it has none fetch the bundled kernel source (a large chunk the
 * page loads on demand, never at start).
 */

/**
 * The probe, evaluated as a user expression of a silent, empty execute; its
 * text is defined once, in scripts/bundle_kernel_source.py (PROBE_EXPRESSION),
 * where the kernel tests send the very same expression to real kernels.
 */
export { PROBE_EXPRESSION } from './kernelProbe.generated';

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
