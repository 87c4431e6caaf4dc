// Deterministic simulation, n = 4 (f = 1). Harness: ./sim; replay a failing seed with the command it prints.
import { simulationSuite } from './sim/suite.js';

simulationSuite(4, 600, { checkCoverage: true });
