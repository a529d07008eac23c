import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { usageError } from '../../util/errors.js';
import { canonicalSemver, pathMajorError, splitPathVersion } from './module.js';

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
type Stmt = { type: 'line'; line: Line } | { type: 'block'; tokens: string[]; lines: Line[]; line: number };

class SyntaxFailure extends Error {}

const PUNCT = '\n()[]{},';
const isEOL = (k: Kind) => k === 'EOF' || k === 'EOLCOMMENT' || k === '\n';

/** modfile isIdent: printable (Go's unicode.IsPrint), not space, not ( ) [ ] { } , */
function isIdent(c: string): boolean {
  return c !== '' && !'()[]{},'.includes(c) && /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(c);
}

class Lexer {
  private pos = 0;
  private lineNo = 1;
  token!: Tok;

  constructor(private readonly text: string) {
    this.readToken();
  }

  private fail(msg: string): never {
    throw new SyntaxFailure(`go.mod:${this.lineNo}: ${msg}`);
  }
  private eof(): boolean {
    return this.pos >= this.text.length;
  }
  private peekRune(): string {
    if (this.eof()) return '';
    return String.fromCodePoint(this.text.codePointAt(this.pos)!);
  }
  private peekPrefix(p: string): boolean {
    return this.text.startsWith(p, this.pos);
  }
  private readRune(): string {
    const c = this.peekRune();
    this.pos += c.length;
    if (c === '\n') this.lineNo++;
    return c;
  }

  lex(): Tok {
    const t = this.token;
    this.readToken();
    return t;
  }

  private readToken(): void {
    while (!this.eof()) {
      const c = this.peekRune();
      if (c === ' ' || c === '\t' || c === '\r') {
        this.readRune();
        continue;
      }
      if (this.peekPrefix('//')) {
        const start = this.pos;
        const line = this.lineNo;
        // A comment alone on its line is a statement-level comment; after tokens, a suffix.
        // (Whatever precedes it on the line has lexed, so it is tokens or spaces/tabs/CRs.)
        const lineStart = this.text.lastIndexOf('\n', start - 1) + 1;
        const suffix = /[^ \t\r]/.test(this.text.slice(lineStart, start));
        while (!this.eof() && this.readRune() !== '\n') {
          /* consume */
        }
        const text = this.text.slice(start, this.pos).replace(/\r?\n$/, '');
        this.token = { kind: suffix ? 'EOLCOMMENT' : 'COMMENT', text, line };
        return;
      }
      if (this.peekPrefix('/*')) this.fail('mod files must use // comments (not /* */ comments)');
      break;
    }
    const start = this.pos;
    const line = this.lineNo;
    const done = (kind: Kind) => {
      this.token = { kind, text: this.text.slice(start, this.pos), line };
    };
    if (this.eof()) return done('EOF');
    const c = this.peekRune();
    if (PUNCT.includes(c)) {
      this.readRune();
      return done(c as Kind);
    }
    if (c === '"' || c === '`') {
      this.readRune();
      for (;;) {
        if (this.eof()) this.fail('unexpected EOF in string');
        if (this.peekRune() === '\n') this.fail('unexpected newline in string');
        const r = this.readRune();
        if (r === c) break;
        if (r === '\\' && c !== '`') {
          if (this.eof()) this.fail('unexpected EOF in string');
          this.readRune();
        }
      }
      return done('STRING');
    }
    if (!isIdent(c)) this.fail(`unexpected input character ${JSON.stringify(c)}`);
    while (isIdent(this.peekRune())) {
      if (this.peekPrefix('//')) break;
      if (this.peekPrefix('/*')) this.fail('mod files must use // comments (not /* */ comments)');
      this.readRune();
    }
    done('IDENT');
  }
}

/** modfile's parseFile / parseStmt / parseLineBlock / parseLine, keeping only tokens. */
function parseSyntax(text: string): Stmt[] {
  const lx = new Lexer(text);
  const stmts: Stmt[] = [];
  const parseLine = (): Line => {
    const first = lx.lex();
    const tokens = [first.text];
    for (;;) {
      const t = lx.lex();
      if (isEOL(t.kind)) return { tokens, line: first.line };
      tokens.push(t.text);
    }
  };
  const parseLineBlock = (tokens: string[], line: number): Stmt => {
    const lines: Line[] = [];
    for (;;) {
      const k = lx.token.kind;
      if (k === 'EOLCOMMENT' || k === '\n' || k === 'COMMENT') lx.lex();
      else if (k === 'EOF') throw new SyntaxFailure(`go.mod:${line}: syntax error (unterminated block)`);
      else if (k === ')') {
        const r = lx.lex();
        if (!isEOL(lx.token.kind)) throw new SyntaxFailure(`go.mod:${r.line}: syntax error (expected newline after closing paren)`);
        lx.lex();
        return { type: 'block', tokens, lines, line };
      } else lines.push(parseLine());
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
          stmts.push(parseLineBlock(tokens, first.line));
          return;
        }
        if (next === ')') {
          const rparen = lx.lex();
          if (isEOL(lx.token.kind)) {
            lx.lex();
            stmts.push({ type: 'block', tokens, lines: [], line: first.line });
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
    else if (k === 'EOF') return stmts;
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
  const out: Buffer[] = [];
  const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"' };
  for (let i = 0; i < s.length; ) {
    const c = String.fromCodePoint(s.codePointAt(i)!);
    if (c === '"' || c === '\n') return null;
    if (c !== '\\') {
      out.push(Buffer.from(c, 'utf8'));
      i += c.length;
      continue;
    }
    const e = s[i + 1];
    if (e === undefined) return null;
    if (e in simple) {
      out.push(Buffer.from(simple[e]!, 'utf8'));
      i += 2;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = s.slice(i + 2, i + 2 + n);
      if (!new RegExp(`^[0-9A-Fa-f]{${n}}$`).test(hex)) return null;
      const v = parseInt(hex, 16);
      if (e === 'x') out.push(Buffer.from([v]));
      else {
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return null;
        out.push(Buffer.from(String.fromCodePoint(v), 'utf8'));
      }
      i += 2 + n;
    } else if (e >= '0' && e <= '7') {
      const oct = s.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 255) return null;
      out.push(Buffer.from([parseInt(oct, 8)]));
      i += 4;
    } else return null;
  }
  return Buffer.concat(out).toString('utf8');
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
  let stmts: Stmt[];
  try {
    stmts = parseSyntax(text);
  } catch (err) {
    if (err instanceof SyntaxFailure) return { ok: false, error: err.message };
    throw err;
  }
  let module: string | null = null;
  let sawModule = false;
  let goVersion: string | null = null;
  const errors: string[] = [];
  const add = (verb: string, args: string[], line: number) => {
    const errorf = (msg: string) => errors.push(`go.mod:${line}: ${msg}`);
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
  for (const st of stmts) {
    if (st.type === 'line') add(st.line.tokens[0]!, st.line.tokens.slice(1), st.line.line);
    else if (st.tokens.length === 1 && ['module', 'require', 'exclude', 'replace', 'retract'].includes(st.tokens[0]!)) {
      for (const l of st.lines) add(st.tokens[0]!, l.tokens, l.line);
    }
  }
  if (errors.length) return { ok: false, error: errors.join('; ') };
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

export async function readGoMod(moduleDir: string, label: string): Promise<{ facts: GoModFacts; bytes: Buffer }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(moduleDir, 'go.mod'));
  } catch {
    throw usageError(`no go.mod in ${label} (go.modules[].dir)`);
  }
  const parsed = parseGoModLax(bytes.toString('utf8'));
  if (!parsed.ok) throw usageError(`${label}/go.mod is not a go.mod the go command reads: ${parsed.error}`);
  if (!parsed.module) throw usageError(`${label}/go.mod has no module line`);
  return { facts: { module: parsed.module, goVersion: parsed.goVersion ?? '' }, bytes };
}
