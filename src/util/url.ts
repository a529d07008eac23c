/** `value` without trailing slashes when it is an http(s) URL, else undefined (unset, or a file:// tree). */
export function httpBase(value: string | undefined): string | undefined {
  return value && /^https?:\/\//.test(value) ? value.replace(/\/+$/, '') : undefined;
}
