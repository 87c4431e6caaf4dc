// Deterministic simulation, n = 7 (f = 2). Harness: ./sim; replay a failing seed with the command it prints.
import { simulationSuite } from './sim/suite.js';

simulationSuite(7, 400, { checkCoverage: true });
