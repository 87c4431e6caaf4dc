/** RPC metrics in Prometheus text exposition format 0.0.4. */

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

export class RpcMetrics {
  private readonly requests = new Map<string, Map<string, number>>();
  private readonly durations = new Map<string, Histogram>();

  /**
   * One finished call. `method` must come from a bounded set (registered names,
   * "unknown", "invalid") so a client cannot blow up the label space.
   */
  observe(method: string, code: string, seconds: number): void {
    let byCode = this.requests.get(method);
    if (!byCode) this.requests.set(method, (byCode = new Map()));
    byCode.set(code, (byCode.get(code) ?? 0) + 1);

    let h = this.durations.get(method);
    if (!h) this.durations.set(method, (h = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) h.counts[i]!++;
    h.sum += seconds;
    h.count++;
  }

  render(): string {
    const out: string[] = [
      '# HELP medledger_rpc_requests_total JSON-RPC calls by method and result code ("ok" or the JSON-RPC error code).',
      '# TYPE medledger_rpc_requests_total counter',
    ];
    for (const [method, byCode] of this.requests) {
      for (const [code, n] of byCode) {
        out.push(`medledger_rpc_requests_total{method="${escapeLabel(method)}",code="${escapeLabel(code)}"} ${n}`);
      }
    }
    out.push(
      '# HELP medledger_rpc_request_duration_seconds JSON-RPC call duration by method.',
      '# TYPE medledger_rpc_request_duration_seconds histogram',
    );
    for (const [method, h] of this.durations) {
      const m = escapeLabel(method);
      BUCKETS.forEach((le, i) => out.push(`medledger_rpc_request_duration_seconds_bucket{method="${m}",le="${le}"} ${h.counts[i]}`));
      out.push(`medledger_rpc_request_duration_seconds_bucket{method="${m}",le="+Inf"} ${h.count}`);
      out.push(`medledger_rpc_request_duration_seconds_sum{method="${m}"} ${h.sum}`);
      out.push(`medledger_rpc_request_duration_seconds_count{method="${m}"} ${h.count}`);
    }
    return out.join('\n') + '\n';
  }
}
