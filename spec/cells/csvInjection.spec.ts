import { csvField } from '../../src/cells/report';

describe('csvField (CSV injection, issue #12 item 14)', () => {
  it.each(['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\tx', '\rx'])(
    'neutralizes a formula: %j',
    text => {
      const field = csvField(text);
      expect(field.startsWith(`"'`)).toBe(true);
      expect(field.slice(2, -1).replace(/""/g, '"')).toBe(text);
    }
  );

  it('quotes and doubles quotes in a formula', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe(
      '"\'=HYPERLINK(""http://x"")"'
    );
  });

  it('leaves numbers, ordinary text and empty values alone', () => {
    expect(csvField(-1048576)).toBe('-1048576');
    expect(csvField(2.5)).toBe('2.5');
    expect(csvField('x = 1')).toBe('x = 1');
    expect(csvField('a, b')).toBe('"a, b"');
    expect(csvField(null)).toBe('');
  });
});
