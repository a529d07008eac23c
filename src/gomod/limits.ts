/**
 * The size limits of golang.org/x/mod/zip (MaxZipFile, MaxGoMod, MaxLICENSE): the module zip
 * builder (zip-files.ts) and the zip check (zip-check.ts) refuse exactly what x/mod refuses.
 * Limits that are the registry's own (names its storage can hold, the size of an .info) live
 * with the registry: src/registry/go/upload-limits.ts.
 */
export const MAX_ZIP_FILE = 500 << 20;
export const MAX_GO_MOD = 16 << 20;
export const MAX_LICENSE = 16 << 20;
