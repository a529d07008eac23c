/** Size limits of golang.org/x/mod/zip; the registry and the zip builder enforce the same. */
export const MAX_ZIP_FILE = 500 << 20;
export const MAX_GO_MOD = 16 << 20;
export const MAX_LICENSE = 16 << 20;
/** `.info` documents are tiny; anything bigger is not an info file. */
export const MAX_INFO = 64 << 10;
