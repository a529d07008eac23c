/**
 * What a terminal of `width` columns shows after receiving `bytes`: enough of VT100 to check
 * that a live block redraws in place (carriage return, line feed, autowrap, cursor up, erase in
 * line, erase below; colour codes are dropped). Any other control sequence throws, so a test
 * also notices output that uses more than this.
 */
export function screen(bytes: string, width: number): string[] {
  const rows: string[][] = [[]];
  let row = 0;
  let col = 0;
  const line = (r: number) => (rows[r] ??= []);
  for (let i = 0; i < bytes.length; i++) {
    const ch = bytes[i]!;
    if (ch === '\r') col = 0;
    else if (ch === '\n') {
      // As a terminal behind a pty shows it: the line discipline's ONLCR (on by default) makes
      // every \n a \r\n.
      col = 0;
      row++;
      line(row);
    } else if (ch === '\u001b') {
      const m = /^\u001b\[([0-9;?]*)([A-Za-z])/.exec(bytes.slice(i, i + 16));
      if (!m) throw new Error(`unexpected escape at ${i}: ${JSON.stringify(bytes.slice(i, i + 8))}`);
      i += m[0].length - 1;
      const [, arg, op] = m;
      const n = arg === '' ? undefined : Number(arg);
      if (op === 'm') continue;
      if (op === 'A') row = Math.max(0, row - (n ?? 1));
      else if (op === 'K' && n === 2) rows[row] = [];
      else if (op === 'J' && (n ?? 0) === 0) {
        line(row).length = Math.min(line(row).length, col);
        rows.length = row + 1;
      } else throw new Error(`unexpected control sequence ${JSON.stringify(m[0])}`);
    } else if (ch < ' ' && ch !== '\t') {
      if (ch !== '\u0007') throw new Error(`unexpected control character ${ch.charCodeAt(0)}`);
    } else {
      // Autowrap: a character past the last column lands at the start of the next line.
      if (col >= width) {
        row++;
        col = 0;
      }
      const l = line(row);
      while (l.length < col) l.push(' ');
      l[col++] = ch;
    }
  }
  const out = rows.map((r) => (r ?? []).join('').trimEnd());
  while (out.length && out.at(-1) === '') out.pop();
  return out;
}

/** Colour codes removed; cursor movement kept. */
export function stripSgr(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
