import { errorSummary, renderKernelErrors } from '../../src/kernel/errors';

describe('renderKernelErrors', () => {
  it('shows nothing when memlens had no errors', () => {
    expect(renderKernelErrors({})).toBeNull();
    expect(renderKernelErrors({ errors: [], error_count: 0 })).toBeNull();
  });

  it("folds memlens' own errors, as text, latest last", () => {
    const fold = renderKernelErrors({
      errors: ['first <b>boom</b>', 'second'],
      error_count: 7
    });
    expect(fold?.tagName).toBe('DETAILS');
    expect(fold?.querySelector('summary')?.textContent).toBe(
      'memlens hit 7 errors of its own (the latest 2 below); your code was not affected'
    );
    const entries = Array.from(fold?.querySelectorAll('pre') ?? []);
    expect(entries.map(e => e.textContent)).toEqual([
      'first <b>boom</b>',
      'second'
    ]);
    expect(fold?.querySelector('b')).toBeNull();
  });

  it('says one error in the singular', () => {
    expect(errorSummary(1, 1)).toBe(
      'memlens hit 1 error of its own; your code was not affected'
    );
  });
});
