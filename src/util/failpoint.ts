/**
 * Crash-test hook: when AMEIDE_PKG_FAILPOINT names this point, the process kills itself with
 * SIGKILL right there — the same as a power cut or OOM kill at that instant. Tests use it to
 * prove that storage invariants hold at every step; unset, it costs one comparison.
 */
const armed = process.env.AMEIDE_PKG_FAILPOINT;

export function failpoint(name: string): void {
  if (armed === name) process.kill(process.pid, 'SIGKILL');
}
