import { formatBytes } from '../../src/common/format';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [300 * 1024 * 1024, '300.0 MiB'],
    [-2 * 1024 ** 3, '-2.0 GiB'],
    [5 * 1024 ** 4, '5.0 TiB']
  ])('formats %d as %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it('shows a dash for unknown values', () => {
    expect(formatBytes(null)).toBe('—');
    expect(formatBytes(undefined)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });
});
