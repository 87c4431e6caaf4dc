import type { ParseArgsConfig } from 'node:util';
import type { TxType } from '../../chain/types.js';
import { requireFlag, strFlag, UsageError } from '../args.js';

type Values = Record<string, string | boolean | undefined>;
interface PayloadBuilder {
  options: NonNullable<ParseArgsConfig['options']>;
  build(values: Values): Promise<Record<string, unknown>>;
}

const s = { type: 'string' } as const;

function json(v: string, flag: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    throw new UsageError(`--${flag} must be JSON`);
  }
}

/** Per-type flags for `medledger tx`; each builds the SPEC §3 payload. */
export const payloadBuilders: Record<TxType, PayloadBuilder> = {
  'member.register': {
    options: { account: s, role: s, name: s },
    build: async (v) => {
      const p: Record<string, unknown> = { account: requireFlag(v.account, 'account'), role: requireFlag(v.role, 'role') };
      const name = strFlag(v.name, 'name');
      if (name !== undefined) p.name = name;
      return p;
    },
  },
  'member.revoke': { options: { account: s }, build: async (v) => ({ account: requireFlag(v.account, 'account') }) },
  'gov.vote': { options: { proposal: s }, build: async (v) => ({ proposal: json(requireFlag(v.proposal, 'proposal'), 'proposal') }) },
  'record.anchor': { options: {}, build: async () => { throw new UsageError('record.anchor: use --payload JSON'); } },
  'consent.grant': { options: {}, build: async () => { throw new UsageError('consent.grant: use --payload JSON'); } },
  'consent.revoke': { options: { 'consent-id': s }, build: async (v) => ({ consentId: requireFlag(v['consent-id'], 'consent-id') }) },
  'access.log': { options: {}, build: async () => { throw new UsageError('access.log: use --payload JSON'); } },
};

export const TX_FLAGS: Record<TxType, string> = {
  'member.register': '--account HEX --role admin|clinician|service|auditor|patient [--name NAME]',
  'member.revoke': '--account HEX',
  'gov.vote': "--proposal '{\"action\":\"addOrg\",...}'",
  'record.anchor': '--payload JSON',
  'consent.grant': '--payload JSON',
  'consent.revoke': '--consent-id HEX',
  'access.log': '--payload JSON',
};
