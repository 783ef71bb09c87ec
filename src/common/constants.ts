/**
 * Numbers shared by more than one module, defined once. Settings' defaults
 * live in settings.ts (DEFAULT_SETTINGS) and are built from these.
 */

/** Bytes in a MiB (1024²). */
export const MIB = 1024 * 1024;

/** How long to wait for each reply from the kernel, in ms (setting `requestTimeoutMs`). */
export const REQUEST_TIMEOUT_MS = 30000;

/** Time budget of one sizing of all variables, in ms (setting `variablesBudgetMs`). */
export const VARIABLES_BUDGET_MS = 300;

/** Children of an expanded variable fetched per page. */
export const PAGE_SIZE = 100;
