/**
 * Sorting strings by their UTF-8 bytes, which is the order Go's sort.Strings and the zip and
 * dirhash code use. UTF-16 code-unit order (JavaScript's `<`) agrees with UTF-8 byte order
 * except where a surrogate (U+D800–U+DFFF, i.e. a character beyond U+FFFF) meets a character
 * in U+E000–U+FFFF; only lists holding such characters pay for encoding. Pure.
 */
const NEEDS_BYTES = /[\uD800-\uFFFF]/;

/** The byte-order comparator for one pair (encodes both; use sortUtf8 for lists). */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Sort `items` in place by the UTF-8 bytes of key(item). */
export function sortUtf8<T>(items: T[], key: (item: T) => string): T[] {
  if (!items.some((x) => NEEDS_BYTES.test(key(x)))) {
    return items.sort((x, y) => {
      const a = key(x);
      const b = key(y);
      return a < b ? -1 : a > b ? 1 : 0;
    });
  }
  const keyed = items.map((item) => ({ item, bytes: Buffer.from(key(item), 'utf8') }));
  keyed.sort((x, y) => Buffer.compare(x.bytes, y.bytes));
  for (let i = 0; i < keyed.length; i++) items[i] = keyed[i]!.item;
  return items;
}
