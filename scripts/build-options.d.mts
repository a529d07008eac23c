import type { BuildOptions } from 'esbuild';
/** The esbuild options of the CLI bundle for `entry`, written to `outfile`. */
export function cliBuildOptions(entry: string, outfile: string): BuildOptions;
