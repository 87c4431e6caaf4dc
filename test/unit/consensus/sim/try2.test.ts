import { it } from 'vitest';
import { makeScenario, runScenario } from './simulation.js';
it('interesting', () => {
  const n = Number(process.env.SIM_N ?? 4);
  const count = Number(process.env.SIM_COUNT ?? 300);
  let split = 0, multiRound = 0, lockRestore = 0;
  const rounds: number[] = [];
  for (let seed = 1; seed <= count; seed++) {
    const s = makeScenario(seed, n);
    const r = runScenario(s);
    rounds.push(r.stats.maxRound);
    if (r.stats.maxRound > 0) multiRound++;
    if ((r.stats as any).splitLocks) split++;
    if ((r.stats as any).lockRestores) lockRestore++;
  }
  rounds.sort((a,b)=>a-b);
  console.log({ count, multiRound, split, lockRestore, p50: rounds[count>>1], p90: rounds[Math.floor(count*0.9)] });
});
