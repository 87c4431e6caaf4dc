import type { BenchReport } from './report.js';
import { movingAverage } from './stats.js';

/**
 * report.svg: a self-contained chart of a run (no scripts, fonts or links): committed
 * and submitted txs per second above, p50/p99 commit latency per second below, the
 * steady-state window shaded in both.
 */

const W = 960;
const H = 600;
const M = { left: 72, right: 24, top: 64, gap: 56, bottom: 48 };
const PANEL_H = (H - M.top - M.gap - M.bottom) / 2;
const COLORS = { committed: '#3b82f6', smooth: '#1e3a8a', submitted: '#f59e0b', p50: '#10b981', p99: '#ef4444', window: '#e5e7eb', axis: '#374151', grid: '#d1d5db', text: '#111827' };

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** A "nice" axis: step 1, 2 or 5 x 10^k with about `ticks` ticks covering [0, max]. */
export function niceTicks(max: number, ticks = 5): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 0.999; v += step) out.push(Math.round(v * 1e6) / 1e6);
  return out;
}

const fmt = (v: number): string => (v >= 10_000 ? `${Math.round(v / 1000)}k` : v >= 1000 ? `${(v / 1000).toFixed(1)}k` : String(Math.round(v * 100) / 100));
const f1 = (v: number): string => v.toFixed(1);

interface Panel { top: number; yMax: number; xMax: number }

function xPos(p: Panel, t: number): number {
  return M.left + (t / p.xMax) * (W - M.left - M.right);
}
function yPos(p: Panel, v: number): number {
  return p.top + PANEL_H - (Math.min(v, p.yMax) / p.yMax) * PANEL_H;
}

function axes(p: Panel, yTicks: number[], xTicks: number[], yLabel: string, out: string[]): void {
  const x0 = M.left;
  const x1 = W - M.right;
  for (const v of yTicks) {
    const y = yPos(p, v);
    out.push(`<line x1="${x0}" y1="${f1(y)}" x2="${x1}" y2="${f1(y)}" stroke="${COLORS.grid}" stroke-width="0.5"/>`);
    out.push(`<text x="${x0 - 6}" y="${f1(y + 4)}" text-anchor="end" font-size="11">${fmt(v)}</text>`);
  }
  for (const t of xTicks) {
    const x = xPos(p, t);
    out.push(`<line x1="${f1(x)}" y1="${p.top + PANEL_H}" x2="${f1(x)}" y2="${p.top + PANEL_H + 4}" stroke="${COLORS.axis}"/>`);
    out.push(`<text x="${f1(x)}" y="${p.top + PANEL_H + 16}" text-anchor="middle" font-size="11">${fmt(t)}</text>`);
  }
  out.push(`<line x1="${x0}" y1="${p.top}" x2="${x0}" y2="${p.top + PANEL_H}" stroke="${COLORS.axis}"/>`);
  out.push(`<line x1="${x0}" y1="${p.top + PANEL_H}" x2="${x1}" y2="${p.top + PANEL_H}" stroke="${COLORS.axis}"/>`);
  const cy = p.top + PANEL_H / 2;
  out.push(`<text x="18" y="${f1(cy)}" text-anchor="middle" font-size="12" transform="rotate(-90 18 ${f1(cy)})">${escapeXml(yLabel)}</text>`);
}

/** A line through the non-null points (gaps bridged) with a dot on each point. */
function series(p: Panel, pts: Array<[number, number | null]>, color: string, dots: boolean): string {
  const xy = pts.filter((q): q is [number, number] => q[1] !== null).map(([t, v]) => `${f1(xPos(p, t))},${f1(yPos(p, v))}`);
  if (xy.length === 0) return '';
  const line = xy.length > 1 ? `<polyline fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round" points="${xy.join(' ')}"/>\n` : '';
  return line + (dots || xy.length === 1 ? xy.map((q) => `<circle cx="${q.split(',')[0]}" cy="${q.split(',')[1]}" r="2.5" fill="${color}"/>`).join('\n') : '');
}

function legend(x: number, y: number, items: Array<[string, string]>): string {
  let lx = x;
  return items.map(([label, color]) => {
    const at = lx;
    lx += 20 + label.length * 7 + 24;
    return `<rect x="${at}" y="${y - 9}" width="14" height="10" fill="${color}"/><text x="${at + 20}" y="${y}" font-size="12">${escapeXml(label)}</text>`;
  }).join('\n');
}

/** The chart of a report, as a complete SVG document. */
export function renderSvg(r: Pick<BenchReport, 'timeline' | 'timelineBucketS' | 'window' | 'nodes' | 'txs' | 'committed' | 'tps' | 'latencyMs' | 'startedAtIso' | 'version' | 'shareOfVerifyLimit'> & Partial<Pick<BenchReport, 'warmup'>>): string {
  const tl = r.timeline;
  const bucket = r.timelineBucketS > 0 ? r.timelineBucketS : 1;
  const committedRate = tl.map((p) => p.committed / bucket);
  const submittedRate = tl.map((p) => p.submitted / bucket);
  const smooth = movingAverage(committedRate, Math.max(1, Math.round(2.5 / bucket - 0.5)));
  const xMax = Math.max(bucket, tl.length * bucket);
  const xTicks = niceTicks(xMax, 10).filter((t) => t <= xMax);
  const tpsMax = Math.max(1, r.tps, ...committedRate, ...submittedRate);
  const top: Panel = { top: M.top, yMax: niceTicks(tpsMax * 1.05).at(-1)!, xMax };
  const latMax = Math.max(1, ...tl.map((p) => p.p99 ?? 0));
  const bottom: Panel = { top: M.top + PANEL_H + M.gap, yMax: niceTicks(latMax * 1.05).at(-1)!, xMax };
  const mid = (p: { t: number }): number => p.t + bucket / 2;
  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" fill="${COLORS.text}">`);
  out.push(`<title>${escapeXml(`medledger bench: ${r.nodes} nodes, ${r.committed}/${r.txs} txs committed, ${r.tps} tx/s, p99 ${r.latencyMs.p99} ms`)}</title>`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${M.left}" y="24" font-size="16" font-weight="bold">${escapeXml(`medledger bench: ${r.nodes} nodes, ${r.committed}/${r.txs} txs, ${r.tps} tx/s steady, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms`)}</text>`);
  out.push(`<text x="${M.left}" y="42" font-size="12" fill="#4b5563">${escapeXml(`${r.startedAtIso} · medledger ${r.version} · ${Math.round(r.shareOfVerifyLimit * 1000) / 10}% of the verify limit · ${r.warmup ? `after ${r.warmup.committed} warm-up txs (not shown) · ` : ''}shaded: steady-state window · ${bucket * 1000} ms buckets`)}</text>`);
  for (const p of [top, bottom]) {
    const x0 = xPos(p, Math.min(r.window.startS, xMax));
    const x1 = xPos(p, Math.min(r.window.endS, xMax));
    if (x1 > x0) out.push(`<rect x="${f1(x0)}" y="${p.top}" width="${f1(x1 - x0)}" height="${f1(PANEL_H)}" fill="${COLORS.window}" opacity="0.6"/>`);
  }
  axes(top, niceTicks(top.yMax), xTicks, 'txs per second', out);
  const bw = Math.max(1, xPos(top, bucket) - xPos(top, 0) - 1);
  tl.forEach((p, i) => {
    if (p.committed === 0) return;
    const y = yPos(top, committedRate[i]!);
    out.push(`<rect x="${f1(xPos(top, p.t) + 0.5)}" y="${f1(y)}" width="${f1(bw)}" height="${f1(top.top + PANEL_H - y)}" fill="${COLORS.committed}" opacity="0.55"/>`);
  });
  out.push(series(top, tl.map((p, i) => [mid(p), submittedRate[i]!]), COLORS.submitted, false));
  out.push(series(top, tl.map((p, i) => [mid(p), smooth[i]!]), COLORS.smooth, false));
  if (r.tps > 0) {
    const y = yPos(top, r.tps);
    out.push(`<line x1="${M.left}" y1="${f1(y)}" x2="${W - M.right}" y2="${f1(y)}" stroke="${COLORS.axis}" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${W - M.right - 4}" y="${f1(y - 4)}" text-anchor="end" font-size="11">steady state ${r.tps} tx/s</text>`);
  }
  out.push(legend(M.left + 8, top.top - 6, [['committed / s', COLORS.committed], ['committed, moving average (5 s)', COLORS.smooth], ['submitted / s', COLORS.submitted]]));
  axes(bottom, niceTicks(bottom.yMax), xTicks, 'commit latency (ms)', out);
  out.push(series(bottom, tl.map((p) => [mid(p), p.p50]), COLORS.p50, true));
  out.push(series(bottom, tl.map((p) => [mid(p), p.p99]), COLORS.p99, true));
  out.push(legend(M.left + 8, bottom.top - 6, [['p50 latency', COLORS.p50], ['p99 latency', COLORS.p99]]));
  out.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 10}" text-anchor="middle" font-size="12">seconds since the first submission (latency: submission to commit, of the txs committed in each bucket)</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
