import { parseGoModLax } from '../../src/gomod/modfile.js';
import { parseGoTime } from '../../src/gomod/gotime.js';
import { decodeInfo } from '../../src/gomod/info.js';
import * as escape from '../../src/gomod/escape.js';
import { goPathClean } from '../../src/gomod/path-clean.js';
import * as modulePath from '../../src/gomod/module-path.js';
import * as pseudo from '../../src/gomod/pseudo.js';
import * as semver from '../../src/gomod/semver.js';

const m = { ...semver, ...modulePath, ...pseudo, ...escape };

/** ameide-pkg's answer to an x/mod question, in the shape xmodeval / the table dump answer. */
export function ours(fn: string, a: string[]): unknown {
  const [x = '', y = '', z = '', w = ''] = a;
  const ok = (r: string | null) => r === null;
  switch (fn) {
    case 'IsValid':
      return m.isValidSemver(x);
    case 'Canonical':
      return m.semverCanonical(x);
    case 'Major':
      return m.semverMajor(x);
    case 'MajorMinor':
      return m.semverMajorMinor(x);
    case 'Prerelease':
      return m.semverPrerelease(x);
    case 'Build':
      return m.semverBuild(x);
    case 'Compare':
      return m.compareSemver(x, y);
    case 'Check':
      return ok(m.checkModuleVersion(x, y));
    case 'CheckPath':
      return ok(m.checkModulePath(x));
    case 'CheckImportPath':
      return ok(m.checkImportPath(x));
    case 'CheckFilePath':
      return ok(m.checkFilePath(x));
    case 'PathClean':
      return goPathClean(x);
    case 'SplitPathVersion': {
      const s = m.splitPathVersion(x);
      return [s.prefix, s.pathMajor, s.ok];
    }
    case 'MatchPathMajor':
      return m.matchPathMajor(x, y);
    case 'CanonicalVersion':
      return m.canonicalSemver(x);
    case 'EscapePath':
      return m.escapeModulePath(x);
    case 'UnescapePath':
      return m.unescapeModulePath(x);
    case 'EscapeVersion':
      return m.escapeModuleVersion(x);
    case 'UnescapeVersion':
      return m.unescapeModuleVersion(x);
    case 'unescapeString':
      return m.unescapePath(x);
    case 'IsPseudoVersion':
      return m.isPseudoVersion(x);
    case 'PseudoVersion':
      return m.pseudoVersion(x, y, z, w);
    case 'PseudoVersionTime':
      return m.pseudoVersionTime(x) || null;
    case 'PseudoVersionRev':
      return m.pseudoVersionRev(x);
    case 'PseudoVersionBase':
      return m.pseudoVersionBase(x);
    case 'TimeParseRFC3339': {
      const t = parseGoTime(x);
      return t && { unix: t.unix, nanos: t.nanos, offset: t.offset, utcJSON: t.utcJSON };
    }
    case 'InfoUnmarshal': {
      const d = decodeInfo(x);
      // Go cannot tell an explicit zero time from none.
      return d.ok ? { version: d.version, time: d.time === '0001-01-01T00:00:00Z' ? null : d.time } : null;
    }
    case 'ModfileParseLax': {
      const r = parseGoModLax(x);
      return r.ok ? { module: r.module, go: r.goVersion } : null;
    }
  }
  throw new Error(`no port of ${fn}`);
}
