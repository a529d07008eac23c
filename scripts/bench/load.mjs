// Load benchmark (P4): CLIENTS concurrent clients, each uploading PER_CLIENT distinct small
// module versions to one `registry serve` (raw multipart over undici, the protocol the
// uploader speaks). Pairs of clients share a module, so the per-module list lock is
// contended as it is when several CI jobs publish at once.
// Goals: every upload lands (201) and is listed afterwards, server peak RSS <= 200 MB
// (/proc/<pid>/status VmHWM); p50/p99 latency reported.
// Usage: node scripts/bench/load.mjs [--strict]   CLIENTS=20 PER_CLIENT=200
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { finish, goal, loadavg, peakRssMb, percentile, report, startRegistry, stop, uploadSmall } from './lib.mjs';

const CLIENTS = Number(process.env.CLIENTS ?? 20);
const PER_CLIENT = Number(process.env.PER_CLIENT ?? 200);
const MODULES = Math.max(1, Math.ceil(CLIENTS / 2));

const work = mkdtempSync(join(tmpdir(), 'bench-load-'));
const reg = await startRegistry(join(work, 'storage'), ['--read-api']);
let rssPeak = 0;
const sampler = setInterval(() => {
  try {
    rssPeak = Math.max(rssPeak, peakRssMb(reg.proc.pid));
  } catch {}
}, 200);

try {
  report('setup', `${CLIENTS} clients × ${PER_CLIENT} uploads into ${MODULES} modules; load average ${loadavg()}`);
  const latencies = [];
  const failures = [];
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      // One connection per client, like one CI job's uploader.
      const dispatcher = new Agent({ connections: 1 });
      const mod = `example.com/load/m${c % MODULES}`;
      for (let i = 0; i < PER_CLIENT; i++) {
        const version = `v0.${c}.${i}`;
        try {
          const r = await uploadSmall(reg.url, mod, version, dispatcher);
          latencies.push(r.ms);
          if (r.status !== 201) failures.push(`${mod}@${version}: ${r.status} ${r.body.slice(0, 200)}`);
        } catch (err) {
          failures.push(`${mod}@${version}: ${err.message}`);
        }
      }
      await dispatcher.close();
    }),
  );
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  rssPeak = Math.max(rssPeak, peakRssMb(reg.proc.pid));

  // Landed means listed: every version appears in its module's @v/list exactly once.
  let listed = 0;
  for (let m = 0; m < MODULES; m++) {
    const res = await request(`${reg.url}/example.com/load/m${m}/@v/list`);
    const lines = (await res.body.text()).split('\n').filter(Boolean);
    listed += new Set(lines).size;
  }

  const total = CLIENTS * PER_CLIENT;
  report('uploads', `${total - failures.length}/${total} answered 201 in ${secs.toFixed(1)} s (${(total / secs).toFixed(0)} uploads/s)`);
  report('latency', `p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms`);
  for (const f of failures.slice(0, 5)) report('failed', f);
  goal('uploads landed (201)', total - failures.length, '>=', total, '', 0);
  goal('versions listed in @v/list', listed, '>=', total, '', 0);
  goal('registry peak RSS', rssPeak, '<=', 200, ' MB', 0);
} finally {
  clearInterval(sampler);
  await stop(reg.proc);
  rmSync(work, { recursive: true, force: true });
}
finish();
