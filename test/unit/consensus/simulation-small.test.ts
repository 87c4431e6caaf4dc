// Deterministic simulation for the other set sizes the quorum rule must handle (n = 1 is the dev chain).
import { simulationSuite } from './sim/suite.js';

for (const n of [1, 2, 3, 5]) simulationSuite(n, 40, { checkCoverage: false });
