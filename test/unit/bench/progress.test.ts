import { describe, expect, it } from 'vitest';
import { bar, formatDuration, formatProgress, ProgressReporter, type ProgressState } from '../../../src/bench/progress.js';

const state = (o: Partial<ProgressState> = {}): ProgressState => ({ elapsedMs: 65_000, total: 1000, submitted: 600, committed: 250, failed: 0, inflight: 350, tps: 812.4, height: 42, ...o });

describe('progress', () => {
  it('formats', () => {
    expect(formatDuration(65_000)).toBe('1:05');
    expect(bar(100, 50, 25, 8)).toBe('##--....');
    expect(bar(0, 0, 0, 4)).toBe('....');
    expect(bar(10, 10, 10, 4)).toBe('####');
    const s = formatProgress(state());
    expect(s).toContain(' 25% 1:05');
    expect(s).toContain('submitted 600/1000 committed 250');
    expect(s).toContain('in-flight 350 812 tx/s height 42');
    expect(s).not.toContain('failed');
    expect(formatProgress(state({ failed: 3 }))).toContain('failed 3');
  });

  it('redraws in place on a TTY, throttled', () => {
    const out: string[] = [];
    let now = 0;
    const p = new ProgressReporter({ write: (s) => out.push(s) }, true, 5000, () => now);
    p.update(state());
    now = 100;
    p.update(state({ committed: 300 })); // throttled
    now = 300;
    p.update(state({ committed: 400 }));
    expect(out).toHaveLength(2);
    expect(out.every((s) => s.startsWith('\r\x1b[2K') && !s.endsWith('\n'))).toBe(true);
    p.line('hello');
    expect(out.slice(-2)).toEqual(['\r\x1b[2K', 'hello\n']);
    p.done();
    expect(out.at(-1)!.endsWith('\n')).toBe(true);
    expect(out.at(-1)).toContain('committed 400');
  });

  it('prints plain lines every few seconds otherwise', () => {
    const out: string[] = [];
    let now = 0;
    const p = new ProgressReporter({ write: (s) => out.push(s), isTTY: false }, undefined, 5000, () => now);
    p.update(state());
    now = 4000;
    p.update(state());
    now = 5001;
    p.update(state());
    expect(out).toHaveLength(2);
    expect(out.every((s) => s.endsWith('\n') && !s.includes('\x1b'))).toBe(true);
    p.line('x');
    expect(out.at(-1)).toBe('x\n');
  });
});
