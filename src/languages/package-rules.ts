import type { LanguageId } from '../config/schema.js';
import { validateGoPackage } from './go/version.js';
import { validatePythonPackage } from './python/version.js';
import { validateTsPackage } from './ts/version.js';

/**
 * Each ecosystem's rule for one (name, version) pair, keyed by language id: null when the
 * ecosystem's own client would take the pair exactly as written, else a one-line reason.
 * State records are input from outside (a ConfigMap, a checked-out file) and their names and
 * versions end up in go.mod, package.json, constraints.txt and on command lines; readers
 * check them here first. Pure, and free of the publishers, so the state layer can use it.
 */
export type PackageRule = (name: string, version: string) => string | null;

export const PACKAGE_RULES: Record<LanguageId, PackageRule> = {
  ts: validateTsPackage,
  python: validatePythonPackage,
  go: validateGoPackage,
};
