import type { BenchReport } from './report.js';
import { escapeXml } from './svg.js';

/** report.html: the chart inline and the report as tables; self-contained. */
export function renderHtml(r: BenchReport, svg: string): string {
  const row = (k: string, v: unknown): string => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(typeof v === 'string' ? v : JSON.stringify(v))}</td></tr>`;
  const summary: Array<[string, unknown]> = [
    ['started', r.startedAtIso], ['version', r.version], ['nodes', r.nodes], ['txs (load)', r.txs], ['committed', r.committed],
    ['failed at tx_send', r.failed], ['duration', `${r.durationS} s`], ['tps (steady state)', r.tps],
    ['latency p50 / p95 / p99', `${r.latencyMs.p50} / ${r.latencyMs.p95} / ${r.latencyMs.p99} ms`], ['latency mean / max', `${r.latencyMs.mean} / ${r.latencyMs.max} ms`],
    ['block time (window)', `${r.blockTimeMs} ms`], ['blocks (load)', r.blocks], ['txs per block avg / max', `${r.avgTxsPerBlock} / ${r.maxTxsPerBlock}`],
    ['signatures verified by every node', r.signaturesVerified], ['same final block hash on every node', `${r.sameFinalHash} (height ${r.finalHeight})`],
    ['machine', `${r.machine.cpus} CPUs, ${r.machine.model}, ${r.machine.memoryMB} MB, Node ${r.machine.node}`],
    ['Ed25519 verify per core', `${r.machine.verifyPerSecPerCore}/s before the run${r.machine.verifyPerSecPerCoreAfter !== undefined ? `, ${r.machine.verifyPerSecPerCoreAfter}/s after` : ''}`], ['verify limit (cpus × verify/s ÷ nodes)', `${r.verifyLimitTps} tx/s`],
    ['share of the verify limit', `${Math.round(r.shareOfVerifyLimit * 1000) / 10}%`],
    ['steady window', `${r.window.startS.toFixed(1)}–${r.window.endS.toFixed(1)} s (${r.window.method}, ${r.window.blocks} blocks, ${r.window.txs} txs)`],
    ['load control', r.rate !== null ? `rate ${r.rate} tx/s${r.inflight !== null ? `, at most ${r.inflight} in flight` : ''}` : `at most ${r.inflight} in flight`],
    ['batch / accounts', `${r.batch} tx_send per request, ${r.accounts} load accounts`],
    ['mix', r.mix], ['setup', `${r.setup.txs} txs in ${r.setup.durationS} s`],
    ['warm-up (not counted)', r.warmup ? `${r.warmup.committed} txs in ${r.warmup.durationS} s (${r.warmup.tps} tx/s)` : 'none'],
    ['client CPU', `${r.client.cpuSeconds} s`],
    ['errors', r.errors],
  ];
  const nodeRows = r.perNode.map((n) => `<tr><td>${n.node}</td><td>${escapeXml(n.rpc)}</td><td>${n.cpuSeconds ?? '–'}</td><td>${n.loadCpuSeconds ?? '–'}</td><td>${n.peakRssMB ?? '–'}</td><td>${n.txsCommitted ?? '–'}</td><td>${n.txsCommittedUnverified ?? 'not reported'}</td><td><code>${escapeXml((n.finalHash ?? '–').slice(0, 16))}</code></td><td>${n.store ? `${n.store.compactionSeconds} s, ${n.store.compactionWrittenMB} MB` : '–'}</td></tr>`).join('\n');
  const inline = svg.replace(/^<\?xml[^>]*\?>\s*/, '');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>medledger bench ${escapeXml(r.startedAtIso)}</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 24px; color: #111827; }
table { border-collapse: collapse; margin: 12px 0 24px; }
th, td { border: 1px solid #d1d5db; padding: 4px 10px; text-align: left; font-size: 14px; vertical-align: top; }
th { background: #f3f4f6; font-weight: 600; }
td { font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<h1>medledger bench</h1>
<p>${r.nodes} nodes, ${r.committed} of ${r.txs} load txs committed, <strong>${r.tps} tx/s</strong> steady state, p99 latency <strong>${r.latencyMs.p99} ms</strong>.</p>
${inline}
<h2>Summary</h2>
<table>
${summary.map(([k, v]) => row(k, v)).join('\n')}
</table>
<h2>Per node</h2>
<table>
<tr><th>node</th><th>RPC</th><th>CPU s (total)</th><th>CPU s (load)</th><th>peak RSS MB</th><th>txs committed</th><th>committed unverified</th><th>final hash</th><th>LevelDB flushes and compactions (load)</th></tr>
${nodeRows}
</table>
<p>The full data is in report.json beside this file.</p>
</body>
</html>
`;
}
