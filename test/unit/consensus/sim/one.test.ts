import { it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { makeScenario, runScenario } from './simulation.js';
it('one', () => {
  const lines: string[] = [];
  const s = makeScenario(Number(process.env.SIM_SEED), Number(process.env.SIM_N ?? 4));
  if (process.env.SIM_MAXT) s.maxTimeMs = Number(process.env.SIM_MAXT);
  const r = runScenario(s, (l) => lines.push(l));
  writeFileSync('/tmp/simtry/trace.txt', lines.join('\n'));
  console.log(r.violations, r.heights, r.doneAt, r.stats);
  for (const n of r.nodes) {
    const e = n.engine as any;
    if (!e) { console.log(n.index, 'dead'); continue; }
    const st = e.status();
    const rv = e.votes.round(st.round);
    console.log(n.index, JSON.stringify(st), 'prevotes', rv?.prevotes.size, 'precommits', rv?.precommits.size, 'flags', JSON.stringify([...e.flags]), 'rounds', e.votes.roundNumbers(), JSON.stringify([...e.votes.futureRounds].map(([k,v]:any)=>[k.slice(0,6),[...v]])));
  }
});
it('ids', () => { const s = makeScenario(Number(process.env.SIM_SEED), Number(process.env.SIM_N ?? 4)); const r = runScenario({...s, maxTimeMs: 1}); console.log(r.nodes.map(n => n.index + '=' + n.id.slice(0,6)).join(' ')); });
