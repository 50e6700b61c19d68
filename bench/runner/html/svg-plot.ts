// Drawing primitives of the HTML report: escaping, scales, nice tick steps, and a plot frame (plot area,
// grid, axes with tick labels, axis titles, curves as paths, a legend) rendered as an inline SVG string.
// No script: everything is in the markup, styled by the page's CSS classes (page.ts).

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** SVG coordinates at 0.1 user units: enough for a 640-unit-wide chart, and short paths. */
function num(x: number): string {
  return (Math.round(x * 10) / 10).toString();
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Maps [d0, d1] onto [r0, r1]; a degenerate domain maps to r0. */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0;
  return (v) => (span === 0 ? r0 : r0 + ((v - d0) / span) * (r1 - r0));
}

/** A round step (1, 2 or 5 × 10^k) giving about `target` intervals over [0, max], and the axis end. */
export function niceAxis(max: number, target = 5): { step: number; end: number } {
  if (!(max > 0) || !Number.isFinite(max)) return { step: 1, end: 1 };
  const raw = max / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  return { step, end: Math.ceil(max / step - 1e-9) * step };
}

/** A tick label without float noise: 0.30000000000000004 -> "0.3". */
export function tickText(v: number, step: number): string {
  let decimals = 0;
  while (decimals < 6 && Math.abs(step * 10 ** decimals - Math.round(step * 10 ** decimals)) > 1e-9) decimals++;
  return v.toFixed(decimals);
}

export interface Tick {
  at: number;               // in user units along the axis
  label: string;
}

export interface Series {
  label: string;
  cls: string;              // CSS class of its stroke (page.ts): subject, reference, ...
  points: [number, number][];  // user units, already scaled
  title: string;            // hover text
  /** Marked points (user units) with their hover text. */
  marks: { x: number; y: number; title: string }[];
}

export interface Frame {
  width: number;
  height: number;
  area: Rect;
  xTicks: Tick[];
  yTicks: Tick[];
  xTitle: string;
  yTitle: string;
  series: Series[];
  /** Shown in the plot area when there is nothing to draw (instead of a curve). */
  empty: string | null;
  cls: string;              // class of the <svg> element
  ariaLabel: string;
}

export function pathData(points: [number, number][]): string {
  return points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${num(x)},${num(y)}`).join(' ');
}

export function renderFrame(f: Frame): string {
  const a = f.area;
  const bottom = a.y + a.height;
  const right = a.x + a.width;
  const out: string[] = [];
  out.push(`<svg class="${esc(f.cls)}" viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="${esc(f.ariaLabel)}" xmlns="http://www.w3.org/2000/svg">`);
  out.push(`<rect class="plot-area" x="${num(a.x)}" y="${num(a.y)}" width="${num(a.width)}" height="${num(a.height)}"/>`);
  out.push('<g class="grid">');
  for (const t of f.xTicks) out.push(`<line x1="${num(t.at)}" y1="${num(a.y)}" x2="${num(t.at)}" y2="${num(bottom)}"/>`);
  for (const t of f.yTicks) out.push(`<line x1="${num(a.x)}" y1="${num(t.at)}" x2="${num(right)}" y2="${num(t.at)}"/>`);
  out.push('</g>');
  out.push(`<g class="axis x-axis"><line x1="${num(a.x)}" y1="${num(bottom)}" x2="${num(right)}" y2="${num(bottom)}"/>`);
  for (const t of f.xTicks) out.push(`<text class="tick-label" x="${num(t.at)}" y="${num(bottom + 16)}" text-anchor="middle">${esc(t.label)}</text>`);
  out.push(`<text class="axis-title" x="${num(a.x + a.width / 2)}" y="${num(bottom + 34)}" text-anchor="middle">${esc(f.xTitle)}</text></g>`);
  out.push(`<g class="axis y-axis"><line x1="${num(a.x)}" y1="${num(a.y)}" x2="${num(a.x)}" y2="${num(bottom)}"/>`);
  for (const t of f.yTicks) out.push(`<text class="tick-label" x="${num(a.x - 6)}" y="${num(t.at + 4)}" text-anchor="end">${esc(t.label)}</text>`);
  out.push(`<text class="axis-title" transform="translate(${num(a.x - 44)} ${num(a.y + a.height / 2)}) rotate(-90)" text-anchor="middle">${esc(f.yTitle)}</text></g>`);
  // The first series is the subject: drawn last, on top of its references.
  for (const s of [...f.series].reverse()) {
    out.push(`<path class="curve ${esc(s.cls)}" data-series="${esc(s.label)}" d="${pathData(s.points)}"><title>${esc(s.title)}</title></path>`);
    for (const m of s.marks) out.push(`<circle class="mark ${esc(s.cls)}" cx="${num(m.x)}" cy="${num(m.y)}" r="2.5"><title>${esc(m.title)}</title></circle>`);
  }
  if (f.empty !== null) {
    out.push(`<text class="empty-note" x="${num(a.x + a.width / 2)}" y="${num(a.y + a.height / 2)}" text-anchor="middle">${esc(f.empty)}</text>`);
  }
  if (f.series.length > 0) {
    // Above the plot area, in one row: inside it, a legend would hide some curve sooner or later.
    let lx = a.x;
    const y = Math.max(12, a.y - 10);
    out.push('<g class="legend">');
    for (const s of f.series) {
      out.push(`<line class="curve ${esc(s.cls)}" x1="${num(lx)}" y1="${num(y - 4)}" x2="${num(lx + 24)}" y2="${num(y - 4)}"/>` +
        `<text x="${num(lx + 30)}" y="${num(y)}">${esc(s.label)}</text>`);
      lx += 30 + 6.6 * s.label.length + 22;
    }
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('');
}
