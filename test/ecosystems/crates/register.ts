// The one table row the fourth-ecosystem test adds. Imported before the CLI so the row is
// there when the program is built (test/ecosystems/crates/cli.ts).
import { registerLanguage } from '../../../src/languages/index.js';
import { cratesLanguage } from './index.js';

registerLanguage(cratesLanguage);
