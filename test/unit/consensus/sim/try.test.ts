import { it } from 'vitest';
import { makeScenario, runScenario } from './simulation.js';
it('try', () => {
  const n = Number(process.env.SIM_N ?? 4);
  const count = Number(process.env.SIM_COUNT ?? 50);
  const t0 = Date.now();
  let bad = 0; let maxLive = 0; let notDone = 0; let ev = 0; let msgs=0;
  const lives: number[] = [];
  for (let seed = 1; seed <= count; seed++) {
    const r = runScenario(makeScenario(seed, n), process.env.SIM_TRACE ? (l) => console.log(l) : undefined);
    ev += r.events; msgs += r.stats.messages;
    if (r.violations.length) { bad++; console.log('seed', seed, r.violations.slice(0, 5)); }
    if (r.doneAt === null) { notDone++; console.log('not done', seed, r.heights, r.stats, JSON.stringify({...r.scenario, timeouts: undefined})); }
    else { const l = r.doneAt - r.healedAt; lives.push(l); maxLive = Math.max(maxLive, l); }
  }
  lives.sort((a,b)=>a-b);
  console.log({ n, count, bad, notDone, maxLive, p50: lives[Math.floor(lives.length/2)], p99: lives[Math.floor(lives.length*0.99)], ev, msgs, ms: Date.now() - t0 });
});
