import { it, expect } from 'vitest';
import { createTxValidator } from '../../../src/chain/validate-tx.js';
import { chainHandlers } from '../../../src/chain/state/index.js';
import { recordHandlers } from '../../../src/records/index.js';
import { generateKeyPair } from '../../../src/chain/ed25519.js';
import { signTx } from '../../../src/chain/tx.js';
it('records handlers compile', () => {
  const v = createTxValidator([...chainHandlers, ...recordHandlers], { maxTxBytes: 65536 });
  const k = generateKeyPair();
  const t = (type: any, payload: any) => signTx({ chainId: 'x', type, from: k.account, nonce: 0, payload }, k.secretKey);
  for (const [type, payload] of [['access.log', { recordId: 'north:Obs/1', action: 'read', purpose: 'TREATX' }], ['access.log', { recordId: 'north:Obs/1', action: 'read', purpose: 'TREAT', emergency: true }], ['record.anchor', { recordId: 'x', patient: k.account, recordType: 'Observation', contentHash: 'sha256:' + '0'.repeat(64) }], ['consent.grant', { grantee: 'org:south', scope: { recordTypes: ['Observation'], x: 1 }, purpose: 'TREAT' }]] as const) {
    try { v(t(type, payload)); process.stderr.write('OK\n'); } catch (e: any) { process.stderr.write(`${e.name} ${e.message}\n`); }
  }
  expect(1).toBe(1);
});
