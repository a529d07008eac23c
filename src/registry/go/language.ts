/**
 * The language whose artifacts this storage holds: the Go module uploader and GOPROXY read
 * API keep Go modules, and `gc --lang` collects nothing else (npm and Python registries
 * have their own retention).
 */
export const MODULE_STORE_LANGUAGE = 'go';
