// The real CLI, with the crates row in its table: what test/e2e/fourth-ecosystem.test.ts runs.
import './register.js';
import '../../../src/cli/main.js';
