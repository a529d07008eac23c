import { canonicalSemver } from './semver.js';
import { pathMajorError, splitPathVersion } from './module-path.js';

/**
 * go.mod, read the way the go command reads a dependency's go.mod: golang.org/x/mod/modfile
 * ParseLax(name, data, nil) (cmd/go modload and modfetch). That is a registry's contract:
 * a go.mod it serves must parse for every consumer. Ported parts:
 *  - the lexer and block grammar (read.go): // comments only, "…" strings on one line, ( )
 *    blocks, identifiers of printable non-space runes;
 *  - the directives a dependency's go.mod is judged on (rule.go, lax): `module` (exactly one,
 *    one argument, unquoted or "quoted", no other quotes), `go` (one, N.M — lax mode accepts
 *    a trailing non-digit suffix such as 1.21.0 or 1.21rc1 and keeps N.M), `require` (path
 *    and a valid semantic version whose major fits the path). Everything else (replace,
 *    exclude, retract, toolchain, unknown directives) is ignored, as ParseLax does.
 * Judged against the real modfile over generated go.mod texts (test/unit/xmod-fuzz.test.ts).
 */

/** The two go.mod facts the publisher needs. */
export interface GoModFacts {
  module: string;
  /** The `go` directive, e.g. "1.21", or "" when absent. */
  goVersion: string;
}

export type GoModParse = { ok: true; module: string | null; goVersion: string | null } | { ok: false; error: string };

type Kind = 'EOF' | 'EOLCOMMENT' | 'IDENT' | 'STRING' | 'COMMENT' | '\n' | '(' | ')' | '[' | ']' | '{' | '}' | ',';
interface Tok {
  kind: Kind;
  text: string;
  line: number;
}
interface Line {
  tokens: string[];
  line: number;
}
/** A statement: a line, or one line of a ( ) block (block tokens = the tokens before the paren). */
type Stmt = { type: 'line'; line: Line } | { type: 'blockLine'; tokens: string[]; line: Line };

class SyntaxFailure extends Error {}

const PUNCT = '\n()[]{},';
const isEOL = (k: Kind) => k === 'EOF' || k === 'EOLCOMMENT' || k === '\n';

/**
 * modfile isIdent: printable (Go's unicode.IsPrint), not space, not ( ) [ ] { } ,
 * ASCII is answered from a table: a 16 MiB go.mod is scanned character by character.
 */
const ASCII_IDENT = Array.from({ length: 128 }, (_, c) => c > 0x20 && c < 0x7f && !'()[]{},'.includes(String.fromCharCode(c)));
function isIdentCp(cp: number): boolean {
  if (cp < 0x80) return ASCII_IDENT[cp]!;
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(String.fromCodePoint(cp));
}

const SLASH = 0x2f;
const STAR = 0x2a;
const NL = 0x0a;

class Lexer {
  private pos = 0;
  private lineNo = 1;
  /** Has the current line produced a token yet? */
  private tokenOnLine = false;
  token!: Tok;

  constructor(private readonly text: string) {
    this.readToken();
  }

  private fail(msg: string): never {
    throw new SyntaxFailure(`go.mod:${this.lineNo}: ${msg}`);
  }
  private at(i: number): number {
    return this.text.charCodeAt(i); // NaN past the end
  }
  /** Advance over one rune (a surrogate pair counts as one). */
  private skipRune(): void {
    const c = this.at(this.pos);
    if (c === NL) this.lineNo++;
    this.pos += c >= 0xd800 && c <= 0xdbff && this.at(this.pos + 1) >= 0xdc00 && this.at(this.pos + 1) <= 0xdfff ? 2 : 1;
  }

  private emit(kind: Kind, start: number, line: number): void {
    this.token = { kind, text: this.text.slice(start, this.pos), line };
    this.tokenOnLine = kind !== '\n';
  }

  lex(): Tok {
    const t = this.token;
    this.readToken();
    return t;
  }

  private readToken(): void {
    const text = this.text;
    while (this.pos < text.length) {
      const c = this.at(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0d) {
        this.pos++;
        continue;
      }
      if (c === SLASH && this.at(this.pos + 1) === SLASH) {
        // A comment alone on its line is a statement-level comment; after tokens, a suffix.
        // (Go looks for non-space text before it on the line; what precedes it there has
        // lexed, so that text is exactly the tokens this line has produced.)
        const line = this.lineNo;
        const kind = this.tokenOnLine ? 'EOLCOMMENT' : 'COMMENT';
        const nl = text.indexOf('\n', this.pos);
        this.pos = nl < 0 ? text.length : nl + 1;
        if (nl >= 0) this.lineNo++;
        this.tokenOnLine = false;
        this.token = { kind, text: '', line }; // comment text is not needed for any rule here
        return;
      }
      if (c === SLASH && this.at(this.pos + 1) === STAR) this.fail('mod files must use // comments (not /* */ comments)');
      break;
    }
    const start = this.pos;
    const line = this.lineNo;
    const done = (kind: Kind) => this.emit(kind, start, line);
    if (this.pos >= text.length) return done('EOF');
    const c = this.at(this.pos);
    if (c < 0x80 && PUNCT.includes(text[this.pos]!)) {
      this.skipRune();
      return done(text[start] as Kind);
    }
    if (c === 0x22 || c === 0x60) {
      this.pos++;
      for (;;) {
        if (this.pos >= text.length) this.fail('unexpected EOF in string');
        const r = this.at(this.pos);
        if (r === NL) this.fail('unexpected newline in string');
        this.pos++;
        if (r === c) break;
        if (r === 0x5c && c !== 0x60) {
          if (this.pos >= text.length) this.fail('unexpected EOF in string');
          this.skipRune(); // whatever follows a backslash, even a newline, belongs to the string
        }
      }
      return done('STRING');
    }
    if (!isIdentCp(text.codePointAt(this.pos)!)) this.fail(`unexpected input character ${JSON.stringify(String.fromCodePoint(text.codePointAt(this.pos)!))}`);
    while (this.pos < text.length) {
      const r = this.at(this.pos);
      if (r < 0x80) {
        if (!ASCII_IDENT[r]) break;
        if (r === SLASH) {
          const n = this.at(this.pos + 1);
          if (n === SLASH) break;
          if (n === STAR) this.fail('mod files must use // comments (not /* */ comments)');
        }
        this.pos++;
      } else {
        if (!isIdentCp(text.codePointAt(this.pos)!)) break;
        this.skipRune();
      }
    }
    done('IDENT');
  }
}

/**
 * modfile's parseFile / parseStmt / parseLineBlock / parseLine, keeping only tokens. Each
 * statement goes to `onStmt` as soon as it is complete (no syntax tree of a 16 MiB file); a
 * syntax error anywhere still fails the whole file, as in modfile.
 */
function parseSyntax(text: string, onStmt: (st: Stmt) => void): void {
  const lx = new Lexer(text);
  const stmts = { push: onStmt };
  const parseLine = (): Line => {
    const first = lx.lex();
    const tokens = [first.text];
    for (;;) {
      const t = lx.lex();
      if (isEOL(t.kind)) return { tokens, line: first.line };
      tokens.push(t.text);
    }
  };
  const parseLineBlock = (tokens: string[], line: number): void => {
    for (;;) {
      const k = lx.token.kind;
      if (k === 'EOLCOMMENT' || k === '\n' || k === 'COMMENT') lx.lex();
      else if (k === 'EOF') throw new SyntaxFailure(`go.mod:${line}: syntax error (unterminated block)`);
      else if (k === ')') {
        const r = lx.lex();
        if (!isEOL(lx.token.kind)) throw new SyntaxFailure(`go.mod:${r.line}: syntax error (expected newline after closing paren)`);
        lx.lex();
        return;
      } else stmts.push({ type: 'blockLine', tokens, line: parseLine() });
    }
  };
  const parseStmt = () => {
    const first = lx.lex();
    const tokens = [first.text];
    for (;;) {
      const t = lx.lex();
      if (isEOL(t.kind)) {
        stmts.push({ type: 'line', line: { tokens, line: first.line } });
        return;
      }
      if (t.kind === '(') {
        const next = lx.token.kind;
        if (isEOL(next)) {
          parseLineBlock(tokens, first.line);
          return;
        }
        if (next === ')') {
          const rparen = lx.lex();
          if (isEOL(lx.token.kind)) {
            lx.lex();
            // An empty block: nothing to judge.
            return;
          }
          tokens.push(t.text, rparen.text); // '( )' in the middle of a line
          continue;
        }
      }
      tokens.push(t.text);
    }
  };
  for (;;) {
    const k = lx.token.kind;
    if (k === '\n' || k === 'COMMENT') lx.lex();
    else if (k === 'EOF') return;
    else parseStmt();
  }
}

/**
 * strconv.Unquote for a "…" token: Go escapes (\a \b \f \n \r \t \v \\ \" \xHH \OOO \uHHHH
 * \UHHHHHHHH); anything else is a syntax error. Built as bytes, since \x and octal escapes
 * produce raw bytes.
 */
function goUnquote(tok: string): string | null {
  if (tok.length < 2 || tok[0] !== '"' || tok[tok.length - 1] !== '"') return null;
  const s = tok.slice(1, -1);
  // The lexer ends a string at its first unescaped quote; a newline can only follow a backslash.
  if (s.includes('\n')) return null;
  if (!s.includes('\\')) return s;
  const out = Buffer.alloc(s.length * 3);
  let n = 0;
  const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34 };
  const hexAt = (i: number, len: number): number | null => {
    let v = 0;
    for (let k = i; k < i + len; k++) {
      const c = s.charCodeAt(k);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;
      if (d < 0) return null;
      v = v * 16 + d;
    }
    return v;
  };
  for (let i = 0; i < s.length; ) {
    const bs = s.indexOf('\\', i);
    const end = bs < 0 ? s.length : bs;
    if (end > i) n += out.write(s.slice(i, end), n, 'utf8');
    if (bs < 0) break;
    i = bs;
    const e = s[i + 1];
    if (e === undefined) return null;
    if (e in simple) {
      out[n++] = simple[e]!;
      i += 2;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const v = hexAt(i + 2, len);
      if (v === null) return null;
      if (e === 'x') out[n++] = v;
      else {
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return null;
        n += out.write(String.fromCodePoint(v), n, 'utf8');
      }
      i += 2 + len;
    } else if (e >= '0' && e <= '7') {
      const oct = s.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 255) return null;
      out[n++] = parseInt(oct, 8);
      i += 4;
    } else return null;
  }
  return out.subarray(0, n).toString('utf8');
}

/** modfile parseString: "quoted" via strconv.Unquote, else no quote characters at all. */
function parseString(tok: string): { ok: true; value: string } | { ok: false; error: string } {
  if (tok.startsWith('"')) {
    const v = goUnquote(tok);
    return v === null ? { ok: false, error: `invalid quoted string ${tok}` } : { ok: true, value: v };
  }
  if (/["'`]/.test(tok)) return { ok: false, error: `unquoted string cannot contain quote: ${tok}` };
  return { ok: true, value: tok };
}

const GO_VERSION_RE = /^([1-9][0-9]*)\.(0|[1-9][0-9]*)$/;
const LAX_GO_VERSION_RE = /^v?(([1-9][0-9]*)\.(0|[1-9][0-9]*))([^0-9].*)$/;

/** modfile.ParseLax(…, nil) for the module, go and require directives. */
export function parseGoModLax(text: string): GoModParse {
  let module: string | null = null;
  let sawModule = false;
  let goVersion: string | null = null;
  const errors: string[] = [];
  let errorCount = 0;
  const add = (verb: string, args: string[], line: number) => {
    const errorf = (msg: string) => {
      if (errorCount++ < 3) errors.push(`go.mod:${line}: ${msg}`);
    };
    switch (verb) {
      case 'go': {
        if (goVersion !== null) return errorf('repeated go statement');
        if (args.length !== 1) return errorf('go directive expects exactly one argument');
        let v = args[0]!;
        if (!GO_VERSION_RE.test(v)) {
          const m = LAX_GO_VERSION_RE.exec(v);
          if (!m) return errorf(`invalid go version '${v}': must match format 1.23`);
          v = m[1]!;
        }
        goVersion = v;
        return;
      }
      case 'module': {
        if (sawModule) return errorf('repeated module statement');
        sawModule = true;
        if (args.length !== 1) return errorf('usage: module module/path');
        const s = parseString(args[0]!);
        if (!s.ok) return errorf(s.error);
        module = s.value;
        return;
      }
      case 'require': {
        if (args.length !== 2) return errorf('usage: require module/path v1.2.3');
        const p = parseString(args[0]!);
        if (!p.ok) return errorf(p.error);
        const v = parseString(args[1]!);
        if (!v.ok) return errorf(v.error);
        const cv = canonicalSemver(v.value);
        if (cv === '') return errorf(`require ${p.value}: version ${JSON.stringify(v.value)} invalid: must be of the form v1.2.3`);
        const split = splitPathVersion(p.value);
        if (!split.ok) return errorf(`require ${p.value}: invalid module path`);
        const bad = pathMajorError(cv, split.pathMajor);
        if (bad) return errorf(`require ${p.value}: ${bad}`);
        return;
      }
    }
    // Everything else is for main modules only (or newer go commands): ParseLax ignores it.
  };
  const onStmt = (st: Stmt) => {
    if (st.type === 'line') add(st.line.tokens[0]!, st.line.tokens.slice(1), st.line.line);
    else if (st.tokens.length === 1 && ['module', 'require', 'exclude', 'replace', 'retract'].includes(st.tokens[0]!)) {
      add(st.tokens[0]!, st.line.tokens, st.line.line);
    }
  };
  try {
    parseSyntax(text, onStmt);
  } catch (err) {
    if (err instanceof SyntaxFailure) return { ok: false, error: err.message };
    throw err;
  }
  if (errorCount) return { ok: false, error: errors.join('; ') + (errorCount > errors.length ? `; and ${errorCount - errors.length} more` : '') };
  return { ok: true, module, goVersion };
}

function unquoteLoose(s: string): string {
  s = s.trim();
  if (s.startsWith('"') && s.endsWith('"')) {
    try {
      return JSON.parse(s) as string;
    } catch {
      return s;
    }
  }
  if (s.startsWith('`') && s.endsWith('`')) return s.slice(1, -1);
  return s;
}

/**
 * The module path and go directive, tolerant of unrelated problems (like modfile.ModulePath):
 * for tools that only need to find the module line (doctor, dev, pin, zip file selection).
 * Where a go.mod must be valid (the registry, publishing) use parseGoModLax.
 */
export function parseGoMod(text: string): GoModFacts {
  const strict = parseGoModLax(text);
  if (strict.ok) return { module: strict.module ?? '', goVersion: strict.goVersion ?? '' };
  let module = '';
  let goVersion = '';
  for (const raw of text.split('\n')) {
    const i = raw.indexOf('//');
    const line = (i >= 0 ? raw.slice(0, i) : raw).trim();
    const m = /^module\s+(.+)$/.exec(line);
    if (m && !module) module = unquoteLoose(m[1]!);
    const g = /^go\s+([0-9][0-9.a-z]*)$/.exec(line);
    if (g && !goVersion) goVersion = g[1]!;
  }
  return { module, goVersion };
}

/** Is go directive `v` at least `major.minor`? ("1.24", "1.24.0", "1.24rc1" all count as 1.24). */
export function goVersionAtLeast(v: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(v);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}
