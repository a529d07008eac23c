/** Tests use the same in-process Verdaccio that `ameide-pkg dev` runs. */
export { startVerdaccio, type Verdaccio } from '../../src/dev/verdaccio.js';
