// Bar charts drawn as SVG elements (no library, nothing inline that the CSP would refuse).
// Points come from GET /stats/timeseries: [{t: "<bucket start, UTC>", value}].
import { s } from './dom.js';

const W = 720;
const H = 210;
const M = { left: 52, right: 8, top: 10, bottom: 26 };

// A "nice" axis value: `steps` times a power of ten, at least `max`.
function niceMax(max, steps = [1, 2, 2.5, 5, 10]) {
  if (!(max > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(max)));
  for (const m of steps) if (m * p >= max) return m * p;
  return 10 * p;
}

function bucketLabel(t, bucket) {
  const d = new Date(t);
  const p = (n) => String(n).padStart(2, '0');
  return bucket === 'hour' ? `${p(d.getUTCHours())}:00` : `${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}`;
}

function bucketTitle(t, bucket) {
  return bucket === 'hour' ? t.slice(0, 13).replace('T', ' ') + ':00 UTC' : t.slice(0, 10);
}

// series: [{name, key, points}] (all the same buckets); format(v) renders tooltip values and,
// unless axisFormat is given, the axis labels.
// `integer`: counts, so the axis never shows fractional ticks.
export function barChart({ series, bucket, format = String, axisFormat = format, label, integer = false }) {
  const n = series.length ? series[0].points.length : 0;
  const max = Math.max(0, ...series.flatMap((x) => x.points.map((p) => p.value)));
  // Counts: four whole-number steps of 1, 2, 5 × 10^k.
  const top = integer ? 4 * Math.max(1, Math.ceil(niceMax(max / 4, [1, 2, 5, 10]))) : niceMax(max);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const y = (v) => M.top + plotH - (v / top) * plotH;
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label || 'chart' });
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    svg.append(
      s('line', { class: 'grid', x1: M.left, x2: W - M.right, y1: y(v), y2: y(v) }),
      s('text', { class: 'axis', x: M.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, axisFormat(v)));
  }
  if (n === 0) return svg;
  const slot = plotW / n;
  const barW = Math.max(1, (slot * 0.8) / series.length);
  const every = Math.max(1, Math.ceil(n / 10));
  for (let i = 0; i < n; i++) {
    const t = series[0].points[i].t;
    series.forEach((ser, k) => {
      const v = ser.points[i].value;
      const x = M.left + i * slot + slot * 0.1 + k * barW;
      const hgt = Math.max(v > 0 ? 1 : 0, y(0) - y(v));
      svg.append(s('rect', { class: 'bar-' + ser.key, x: x.toFixed(2), y: (y(0) - hgt).toFixed(2), width: barW.toFixed(2), height: hgt.toFixed(2) },
        s('title', {}, `${bucketTitle(t, bucket)}: ${format(v)} ${ser.name}`)));
    });
    if (i % every === 0) {
      svg.append(s('text', { class: 'axis', x: M.left + i * slot + slot / 2, y: H - 8, 'text-anchor': 'middle' }, bucketLabel(t, bucket)));
    }
  }
  if (max === 0) {
    svg.append(s('text', { class: 'nodata', x: M.left + plotW / 2, y: M.top + plotH / 2, 'text-anchor': 'middle' }, 'nothing in this range'));
  }
  return svg;
}
