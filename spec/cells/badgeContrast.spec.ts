import { readFileSync } from 'fs';
import { join } from 'path';

/** The badges' stylesheet, where the amber and red colours are chosen. */
const CSS = readFileSync(
  join(__dirname, '..', '..', 'style', 'badges.css'),
  'utf-8'
);

/** The custom properties the rules for exactly `selector` set, by name. */
function properties(selector: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const rule of CSS.matchAll(/([^{}]+)\{([^}]*)\}/g)) {
    if (rule[1].replace(/\/\*[\s\S]*?\*\//g, '').trim() !== selector) {
      continue;
    }
    for (const match of rule[2].matchAll(
      /(--jp-memlens-[\w-]+):\s*(#[0-9a-f]{6});/gi
    )) {
      found[match[1]] = match[2];
    }
  }
  return found;
}

/** WCAG 2 relative luminance of `#rrggbb`. */
function luminance(hex: string): number {
  const channels = [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r, g, b] = channels.map(c =>
    c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4)
  );
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio of two colours (1 to 21). */
function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

describe('badge colours', () => {
  it('computes contrast as WCAG does', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });

  const themes = {
    light: properties('.jp-MemlensBadge'),
    dark: properties("body[data-jp-theme-light='false'] .jp-MemlensBadge")
  };
  for (const [theme, colours] of Object.entries(themes)) {
    for (const level of ['warn', 'alert']) {
      it(`gives ${level} badges at least 4.5:1 in the ${theme} theme`, () => {
        const fg = colours[`--jp-memlens-${level}-fg`];
        const bg = colours[`--jp-memlens-${level}-bg`];
        expect(fg).toBeDefined();
        expect(bg).toBeDefined();
        expect(contrast(fg, bg)).toBeGreaterThanOrEqual(4.5);
      });
    }
  }

  it('uses those colours for the amber and red badges', () => {
    for (const level of ['warn', 'alert']) {
      const start = CSS.indexOf(`.jp-MemlensBadge[data-level='${level}'] {`);
      const block = CSS.slice(start, CSS.indexOf('}', start));
      expect(block).toContain(`color: var(--jp-memlens-${level}-fg)`);
      expect(block).toContain(`background: var(--jp-memlens-${level}-bg)`);
    }
  });
});
