// Sustained LevelDB cost of the commit path's writes, flushes and compactions included,
// on a chain far longer than a bench run: synthetic blocks of 700 txs whose keys and value
// sizes follow what a bench node writes (measured from a node's database after 50,000 txs,
// docs/bench.md session 16): the block, receipts, one tx location per tx, for access.log
// (80%) the event and its three audit index rows, for record.anchor (15%) a version row and
// the record's state, for consent.grant (5%) a consent row and its state, nonce bumps of
// 240 accounts per block; one synced chained batch per block, as ChainStore.commitBlock.
//
//   node bench/store-sustained.mjs [--txs N=350000] [--layout patient|seq] [--no-compression]
//                                  [--write-buffer-mb MB=16] [--max-file-mb MB=2] [--block-kb KB=4] [--no-blocks]
//
// --layout patient: the event under xa/p/<patient>!<seq> (the node's layout); seq: under
// xa/e/<seq> with key-only index rows (tried in session 16, not adopted). --no-blocks leaves
// the block rows (b/) out, as if blocks were kept outside LevelDB; the other flags set
// LevelDB's options (defaults: the node's, a 16 MB write buffer and LevelDB's own for the
// rest; docs/bench.md session 17). Prints the CPU of all the process's threads per tx for the
// writes (a second pass that builds the same batches without writing them is subtracted),
// the wall time and LevelDB's level table.
import { ClassicLevel } from 'classic-level';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { txs: { type: 'string', default: '350000' }, layout: { type: 'string', default: 'patient' }, 'no-compression': { type: 'boolean', default: false }, 'write-buffer-mb': { type: 'string', default: '16' }, 'max-file-mb': { type: 'string', default: '2' }, 'block-kb': { type: 'string', default: '4' }, 'no-blocks': { type: 'boolean', default: false } } });
const positive = (name) => {
  const v = Number(values[name]);
  if (!(v > 0 && v <= 1024)) throw new Error(`--${name} must be a number in (0, 1024]`);
  return v;
};
const LEVEL_OPTIONS = { writeBufferSize: positive('write-buffer-mb') * 1024 * 1024, maxFileSize: positive('max-file-mb') * 1024 * 1024, blockSize: positive('block-kb') * 1024 };
const TXS = Number(values.txs);
const PER = 700;
if (!Number.isSafeInteger(TXS) || TXS < PER) throw new Error(`--txs must be an integer >= ${PER}`);
if (values.layout !== 'patient' && values.layout !== 'seq') throw new Error('--layout must be patient or seq');

const hex = (n) => randomBytes(n).toString('hex');
const h16 = (h) => h.toString(16).padStart(16, '0');
const i8 = (i) => i.toString(16).padStart(8, '0');
/** utime + stime of every thread of this process, ms (Linux). */
const processCpuMs = () => {
  const st = readFileSync('/proc/self/stat', 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};

async function pass(write) {
  const dir = mkdtempSync(join(tmpdir(), 'ml-store-sustained-'));
  const db = new ClassicLevel(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8', ...LEVEL_OPTIONS, compression: !values['no-compression'] });
  await db.open();
  let seed = 1;
  const rnd = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const patients = Array.from({ length: 51 }, () => hex(32));
  const actors = Array.from({ length: 205 }, () => hex(32));
  const accounts = Array.from({ length: 256 }, () => hex(32));
  const records = Array.from({ length: 153 }, (_, i) => `org${i % 4}:Observation/p${i}-r1`);
  const cpu0 = processCpuMs();
  const t0 = Date.now();
  for (let h = 1; h * PER <= TXS; h++) {
    const b = db.batch();
    const at = h16(h);
    const wires = [];
    for (let i = 0; i < PER; i++) {
      const seq = at + i8(i);
      const r = rnd(100);
      b.put(`t/${hex(32)}`, `{"height":${h},"index":${i},"at":[${i * 466},${i * 466 + 465}]}`);
      wires.push(hex(100) + 'x'.repeat(265));
      if (r < 80) {
        const patient = patients[rnd(patients.length)], actor = actors[rnd(actors.length)], rec = records[rnd(records.length)];
        const ev = `{"txHash":"${hex(32)}","height":${h},"time":1795328035831,"actor":"${actor}","actorOrg":"lab","recordId":"${rec}","patient":"${patient}","action":"update","purpose":"HRESCH","outcome":"denied","emergency":false}`;
        if (values.layout === 'patient') {
          b.put(`xa/p/${patient}!${seq}`, ev);
          b.put(`xa/r/${rec}!${seq}`, patient);
          b.put(`xa/a/${actor}!${seq}`, patient);
        } else {
          b.put(`xa/e/${seq}`, ev);
          b.put(`xa/p/${patient}!${seq}`, '');
          b.put(`xa/r/${rec}!${seq}`, '');
          b.put(`xa/a/${actor}!${seq}`, '');
        }
      } else if (r < 95) {
        let rec = records[rnd(records.length)];
        if (rnd(2) === 0) records.push((rec = `lab:Condition/bench-${records.length}`));
        b.put(`xv/${rec}!${h16(h).slice(4)}`, `{"recordId":"${rec}","patient":"${patients[0]}","custodian":"lab","recordType":"Condition","contentHash":"sha256:${hex(32)}","version":1,"height":${h},"time":1795328044366,"txHash":"${hex(32)}"}`);
        b.put(`s/rec/${rec}`, `{"recordId":"${rec}","patient":"${patients[0]}","custodian":"lab","recordType":"Condition","contentHash":"sha256:${hex(32)}","version":1}`);
      } else {
        const cid = hex(32);
        b.put(`xc/${patients[rnd(patients.length)]}!${seq}`, cid);
        b.put(`s/consent/${cid}`, `{"consentId":"${cid}","patient":"${patients[0]}","grantee":"org:lab","purpose":"TREAT","scope":{},"grantedAt":${h}}`);
      }
    }
    for (let a = 0; a < 240; a++) b.put(`s/acct/${accounts[a]}`, `{"account":"${accounts[a]}","height":2,"name":"Bench clinician 111","nonce":${h},"org":"org1","revoked":false,"role":"clinician"}`);
    if (!values['no-blocks']) b.put(`b/${at}`, wires.join(','));
    b.put(`r/${at}`, '{"status":"ok"},'.repeat(PER));
    b.put(`c/${at}`, 'x'.repeat(780));
    b.put(`bh/${hex(32)}`, String(h));
    b.put('m/head', `{"height":${h}}`);
    if (write) await b.write({ sync: true });
    else await b.close();
    if (h % 100 === 0) process.stderr.write(`\r${write ? 'writing' : 'building only'}: ${h * PER} txs`);
  }
  if (write) await new Promise((r) => setTimeout(r, 3000)); // the compaction under way, if any
  const result = { cpuMs: processCpuMs() - cpu0, wallS: (Date.now() - t0) / 1000, levels: write ? db.getProperty('leveldb.stats') : '' };
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  process.stderr.write('\n');
  return result;
}

const built = await pass(false);
const written = await pass(true);
const txs = Math.floor(TXS / PER) * PER;
console.log(`layout ${values.layout}, compression ${values['no-compression'] ? 'off' : 'snappy'}, write buffer ${values['write-buffer-mb']} MB, max file ${values['max-file-mb']} MB, block ${values['block-kb']} KB, blocks ${values['no-blocks'] ? 'not ' : ''}in LevelDB; ${txs} txs in blocks of ${PER}`);
console.log(`LevelDB writes, flushes and compactions: ${((written.cpuMs - built.cpuMs) * 1000 / txs).toFixed(1)} µs of CPU per tx (all threads; ${written.cpuMs} ms with the writes, ${built.cpuMs} ms building the batches only), ${written.wallS} s wall`);
console.log(written.levels.trim());
