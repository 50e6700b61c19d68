// The sweep table's colour scale: throughput from low (pale yellow) to high (deep blue), interpolated in
// sRGB between the stops of a sequential yellow-green-blue palette (light to dark reads as little to much,
// and it stays ordered for colour-blind readers and in greyscale). Text on a cell is black or white,
// whichever contrasts more with its background.

const STOPS: readonly [number, number, number][] = [
  [0xff, 0xff, 0xcc], [0xc7, 0xe9, 0xb4], [0x7f, 0xcd, 0xbb], [0x41, 0xb6, 0xc4], [0x1d, 0x91, 0xc0], [0x22, 0x5e, 0xa8], [0x0c, 0x2c, 0x84],
];

function hex([r, g, b]: [number, number, number]): string {
  return `#${[r, g, b].map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

/** The colour at t in [0, 1] (clamped; a non-finite t is the low end). */
export function colourAt(t: number): string {
  const u = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const pos = u * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(pos));
  const f = pos - i;
  const a = STOPS[i]!;
  const b = STOPS[i + 1]!;
  return hex([a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f]);
}

/** WCAG relative luminance of a #rrggbb colour. */
function luminance(colour: string): number {
  const lin = (i: number): number => {
    const c = parseInt(colour.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(1) + 0.7152 * lin(3) + 0.0722 * lin(5);
}

/** Black or white text, whichever has the higher contrast ratio on `background`. */
export function textColourOn(background: string): string {
  const l = luminance(background);
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#000000' : '#ffffff';
}

/** The scale as a CSS gradient, low to high, for the legend. */
export function gradientCss(): string {
  return `linear-gradient(to right, ${STOPS.map((s, i) => `${hex(s)} ${Math.round((i / (STOPS.length - 1)) * 100)}%`).join(', ')})`;
}
