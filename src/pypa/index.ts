/**
 * The Python packaging rules (PEP 503 names, PEP 440 versions, wheel/sdist file names) that
 * both the client side (languages/python) and the index (registry/python) use. Bottom level:
 * imports only node:*, util and npm packages (test/unit/registry-boundaries.test.ts).
 */
export { isValidProjectName, normalizeProjectName } from './name.js';
export { normalizePep440, pep440Equal } from './version.js';
export { parseDistFilename, versionFromFileName, type DistFile } from './filename.js';
