import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { compareSemver } from '../../../gomod/semver.js';
import { failpoint } from '../../../util/failpoint.js';
import { canonicalVersionsOnly, type ModuleStore, type ProxyExt, type StoredFile } from '../backend.js';
import type { GcPlan, GcVersion } from '../gc.js';
import type { StoreResult, VersionFiles } from '../storage.js';
import { type Meta, type S3Objects } from './objects.js';
import { ownedName, ownerGone } from '../../../util/owner.js';

/**
 * Go modules in an S3 bucket, in Athens' S3 layout, safe for any number of writers sharing the
 * bucket with no lock server. Invariants:
 *
 *  1. Layout: <prefix><module>/@v/<version>.{mod,zip,info} — module path and version as they
 *     are, not !-escaped (Athens' config.PackageVersionedName). A version is VISIBLE iff its
 *     .info exists: Athens' lister counts every .info under <module>/@v, and so does list().
 *  2. Every object we write carries x-amz-meta-sha256 of its bytes; the .info also carries
 *     mod-sha256 and zip-sha256 — which bytes the version is. Metadata is written atomically
 *     with the object, so it always describes the bytes next to it.
 *  3. Upload, in this order: .zip and .mod are CREATED ONLY IF ABSENT (If-None-Match: *). One
 *     that exists with our sha256 is shared (an identical upload); with other bytes and no
 *     .info it belongs to a racing upload or a crashed one → 409 "in progress" (after the
 *     orphan grace period it is removed as in 6 first). So an upload never overwrites bytes
 *     another upload relies on, and a loser of a race never clobbers the winner.
 *  4. Commit point: the .info, created only if absent, after .zip and .mod hold our bytes. Of
 *     racing writers exactly one creates it (201); the others get 412 and compare the stored
 *     .info and the recorded hashes with theirs → 200 identical or 409 different. A crash
 *     before it leaves only invisible .zip/.mod (an identical retry adopts them, 3); after it,
 *     a complete version.
 *  5. After the commit (and on 200 identical) the writer re-checks .zip/.mod against the
 *     hashes in the .info and puts its own bytes back if one is missing or different. Its
 *     bytes ARE the committed ones (4), so this can only complete a version — it undoes a
 *     remover (6) that deleted bodies of an orphan the writer had adopted.
 *  6. Removal (gc, Athens' .delete, orphan cleanup): .info first (readers stop seeing the
 *     version), then each body is copied to a trash key, deleted, and the .info looked up
 *     again: if a writer re-committed the version meanwhile with those bytes, the trash copy
 *     is put back. Between 5 and 6 every interleaving of a writer and a remover ends with a
 *     .info whose bodies match it. Trash keys are under <prefix>.ameide-pkg/ (never .info, so
 *     Athens' catalog does not see them); recover() finishes a remover that crashed.
 *  7. Without conditional writes (an endpoint that ignores If-None-Match), 3-4 hold only for
 *     ONE writer: open.ts detects this at start-up and refuses unless --s3-single-writer;
 *     then "if absent" is HEAD + PUT, serialized per key inside the one process.
 *
 * Reads are paginated ListObjectsV2 (no index object: nothing extra to write, repair or
 * contend on, and exactly what Athens' lister sees) and GETs streamed straight through.
 */
export interface S3StoreOptions {
  prefix: string;
  /** Endpoint honours If-None-Match: * (false → single-writer emulation, 7). */
  conditional: boolean;
  /** Orphaned .zip/.mod younger than this are treated as an upload in progress (3). */
  orphanGraceMs?: number;
  /** Local directory for staged upload zips (default: the OS temp dir). */
  stagingRoot?: string;
  log?: (line: string) => void;
}

export const ORPHAN_GRACE_MS = 3_600_000;
const CONTENT_TYPES = { info: 'application/json', mod: 'text/plain; charset=utf-8', zip: 'application/zip' } as const;
const SHA = 'sha256';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function sha256Stream(s: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const c of s) h.update(c as Buffer);
  return h.digest('hex');
}

interface Ours {
  info: Buffer;
  mod: Buffer;
  zipPath: string;
  sha: { info: string; mod: string; zip: string };
}

export class S3ModuleStore implements ModuleStore {
  readonly kind = 's3';
  private readonly grace: number;
  private readonly stagingRoot: string;
  private readonly keyLocks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly o: S3Objects,
    private readonly opts: S3StoreOptions,
  ) {
    this.grace = opts.orphanGraceMs ?? ORPHAN_GRACE_MS;
    this.stagingRoot = opts.stagingRoot ?? join(tmpdir(), 'ameide-pkg-s3-staging');
  }

  get location(): string {
    return `s3://${this.o.bucket}/${this.opts.prefix}`;
  }

  key(module: string, version: string, ext: ProxyExt): string {
    return `${this.opts.prefix}${module}/@v/${version}.${ext}`;
  }

  private get internal(): string {
    return `${this.opts.prefix}.ameide-pkg/`;
  }

  // ── upload ────────────────────────────────────────────────────────────────────────────────

  async store(module: string, version: string, files: VersionFiles): Promise<StoreResult> {
    const ours: Ours = {
      ...files,
      sha: { info: sha256(files.info), mod: sha256(files.mod), zip: await sha256Stream(createReadStream(files.zipPath)) },
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      const committed = await this.o.getBuffer(this.key(module, version, 'info'));
      if (committed) return this.settle(module, version, ours, committed);
      // 3: bodies first, each created only if absent, adopted when identical.
      let orphanRemoved = false;
      const holders = await Promise.all((['zip', 'mod'] as const).map((ext) => this.createBody(module, version, ext, ours)));
      for (const [i, ext] of (['zip', 'mod'] as const).entries()) {
        const holder = holders[i]!;
        if (holder === 'ours') continue;
        const nowCommitted = await this.o.getBuffer(this.key(module, version, 'info'));
        if (nowCommitted) return this.settle(module, version, ours, nowCommitted);
        if (Date.now() - holder.lastModified < this.grace) {
          const what = ext === 'zip' ? 'zip' : 'go.mod';
          const mins = Math.round(this.grace / 60_000);
          return { status: 'conflict', reason: `another upload of ${module}@${version} with a different ${what} is in progress (or crashed less than ${mins} min ago)` };
        }
        this.opts.log?.(`removing orphaned bodies of ${module}@${version} (no .info, older than the grace period)`);
        await this.removeBodies(module, version);
        orphanRemoved = true;
        break;
      }
      if (orphanRemoved) continue;
      failpoint('s3:bodies');
      // 4: the commit point.
      const meta: Meta = { [SHA]: ours.sha.info, 'mod-sha256': ours.sha.mod, 'zip-sha256': ours.sha.zip };
      const created = await this.putIfAbsent(this.key(module, version, 'info'), { buffer: ours.info }, meta, 'info');
      failpoint('s3:committed');
      if (created) {
        await this.ensureBodies(module, version, ours);
        return { status: 'created' };
      }
      const winner = await this.o.getBuffer(this.key(module, version, 'info'));
      if (winner) return this.settle(module, version, ours, winner);
      // The winner's .info is gone again (removed by gc meanwhile): start over.
    }
    throw new Error(`${module}@${version}: storage kept changing under the upload; retry`);
  }

  /** Create one body if absent; 'ours' when it now holds our bytes, else who holds it. */
  private async createBody(module: string, version: string, ext: 'zip' | 'mod', ours: Ours): Promise<'ours' | { lastModified: number }> {
    const key = this.key(module, version, ext);
    const body = ext === 'zip' ? { file: ours.zipPath } : { buffer: ours.mod };
    if (await this.putIfAbsent(key, body, { [SHA]: ours.sha[ext] }, ext)) return 'ours';
    const h = await this.o.head(key);
    if (!h) return (await this.putIfAbsent(key, body, { [SHA]: ours.sha[ext] }, ext)) ? 'ours' : { lastModified: Date.now() };
    if ((h.meta[SHA] ?? (await this.hashObject(key))) === ours.sha[ext]) return 'ours';
    return { lastModified: h.lastModified };
  }

  /** A committed .info exists: identical (then 5) or conflict. */
  private async settle(module: string, version: string, ours: Ours, committed: { data: Buffer; meta: Meta }): Promise<StoreResult> {
    const diffs: string[] = [];
    if (!committed.data.equals(ours.info)) diffs.push('.info');
    for (const ext of ['mod', 'zip'] as const) {
      const recorded = committed.meta[`${ext}-sha256`] ?? (await this.hashObject(this.key(module, version, ext)));
      if (recorded !== ours.sha[ext]) diffs.push(ext === 'mod' ? 'go.mod' : 'zip');
    }
    if (diffs.length) return { status: 'conflict', reason: `${module}@${version} is already stored with a different ${diffs.join(', ')}` };
    await this.ensureBodies(module, version, ours);
    return { status: 'identical' };
  }

  /** 5: make .zip/.mod hold the committed (= our) bytes. */
  private async ensureBodies(module: string, version: string, ours: Ours): Promise<void> {
    await Promise.all(
      (['zip', 'mod'] as const).map(async (ext) => {
        const key = this.key(module, version, ext);
        const h = await this.o.head(key);
        if (h && (h.meta[SHA] ?? (await this.hashObject(key))) === ours.sha[ext]) return;
        this.opts.log?.(`restoring ${key} (removed or replaced while ${module}@${version} was committed)`);
        await this.o.put(key, ext === 'zip' ? { file: ours.zipPath } : { buffer: ours.mod }, { [SHA]: ours.sha[ext] }, false, CONTENT_TYPES[ext]);
      }),
    );
  }

  private async hashObject(key: string): Promise<string | undefined> {
    const r = await this.o.get(key);
    return r ? sha256Stream(r.body) : undefined;
  }

  private async putIfAbsent(key: string, body: { buffer: Buffer } | { file: string }, meta: Meta, ext: ProxyExt): Promise<boolean> {
    if (this.opts.conditional) return this.o.put(key, body, meta, true, CONTENT_TYPES[ext]);
    // 7: one writer — HEAD + PUT, serialized per key within this process.
    return this.withKeyLock(key, async () => {
      if (await this.o.head(key)) return false;
      await this.o.put(key, body, meta, false, CONTENT_TYPES[ext]);
      return true;
    });
  }

  private async withKeyLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.keyLocks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    this.keyLocks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.keyLocks.get(key) === tail) this.keyLocks.delete(key);
    }
  }

  // ── removal (6) ───────────────────────────────────────────────────────────────────────────

  async remove(module: string, version: string): Promise<boolean> {
    const infoKey = this.key(module, version, 'info');
    const present = (await this.o.head(infoKey)) !== null;
    await this.o.delete(infoKey);
    failpoint('s3:remove-info');
    await this.removeBodies(module, version);
    return present;
  }

  /** Delete .zip/.mod through a trash copy; put them back if a writer re-committed meanwhile. */
  private async removeBodies(module: string, version: string): Promise<void> {
    const trashed: { ext: 'zip' | 'mod'; trash: string; sha?: string }[] = [];
    const tag = `${Date.now()}-${randomBytes(4).toString('hex')}`;
    for (const ext of ['zip', 'mod'] as const) {
      const key = this.key(module, version, ext);
      const h = await this.o.head(key);
      if (!h) continue;
      const trash = `${this.internal}trash/${module}/@v/${version}.${ext}.${tag}`;
      await this.o.copy(key, trash);
      trashed.push({ ext, trash, sha: h.meta[SHA] });
      await this.o.delete(key);
      failpoint(`s3:remove-${ext}`);
    }
    await this.restoreFromTrash(module, version, trashed);
    for (const t of trashed) await this.o.delete(t.trash);
  }

  private async restoreFromTrash(module: string, version: string, trashed: { ext: 'zip' | 'mod'; trash: string; sha?: string }[]): Promise<void> {
    if (!trashed.length) return;
    const info = await this.o.head(this.key(module, version, 'info'));
    if (!info) return;
    for (const t of trashed) {
      const key = this.key(module, version, t.ext);
      const want = info.meta[`${t.ext}-sha256`];
      if (!want || (t.sha ?? (await this.hashObject(t.trash))) !== want) continue;
      const h = await this.o.head(key);
      if (h && h.meta[SHA] === want) continue;
      this.opts.log?.(`restoring ${key}: ${module}@${version} was re-committed while it was being removed`);
      await this.o.copy(t.trash, key);
    }
  }

  // ── reads ────────────────────────────────────────────────────────────────────────────────

  /** Athens' view: every .info directly under <module>/@v/ — with the layout's version rules. */
  private async moduleKeys(module: string): Promise<Map<string, { ext: string; size: number; lastModified: number }[]>> {
    const base = `${this.opts.prefix}${module}/@v/`;
    const byVersion = new Map<string, { ext: string; size: number; lastModified: number }[]>();
    for await (const o of this.o.list(base)) {
      const name = o.key.slice(base.length);
      const m = /^([^/]+)\.(info|mod|zip)$/.exec(name);
      if (!m) continue;
      const arr = byVersion.get(m[1]!) ?? [];
      arr.push({ ext: m[2]!, size: o.size, lastModified: o.lastModified });
      byVersion.set(m[1]!, arr);
    }
    return byVersion;
  }

  async list(module: string): Promise<string[] | null> {
    const keys = await this.moduleKeys(module);
    const versions = canonicalVersionsOnly([...keys].filter(([, fs]) => fs.some((f) => f.ext === 'info')).map(([v]) => v));
    return versions.length ? versions.sort(compareSemver) : null;
  }

  async read(module: string, version: string, ext: ProxyExt): Promise<StoredFile | null> {
    const r = await this.o.get(this.key(module, version, ext));
    return r && { size: r.size, body: r.body };
  }

  async modules(): Promise<string[]> {
    const out = new Set<string>();
    for await (const o of this.o.list(this.opts.prefix)) {
      if (!o.key.endsWith('.info') || o.key.startsWith(this.internal)) continue;
      const rel = o.key.slice(this.opts.prefix.length);
      const i = rel.lastIndexOf('/@v/');
      if (i > 0 && !rel.slice(i + 4).includes('/')) out.add(rel.slice(0, i));
    }
    return [...out].sort();
  }

  async gcModule(module: string, choose: (versions: GcVersion[]) => GcPlan, dryRun: boolean): Promise<GcPlan> {
    const keys = await this.moduleKeys(module);
    const versions: GcVersion[] = [];
    for (const [version, files] of keys) {
      if (!files.some((f) => f.ext === 'info')) {
        // Orphaned bodies (a crashed upload): invisible; removed once past the grace period.
        if (!dryRun && files.every((f) => Date.now() - f.lastModified >= this.grace)) await this.removeBodies(module, version);
        continue;
      }
      if (!canonicalVersionsOnly([version]).length) continue;
      let time = 0;
      try {
        const info = await this.o.getBuffer(this.key(module, version, 'info'));
        time = Date.parse((JSON.parse(info?.data.toString('utf8') ?? '{}') as { Time?: string }).Time ?? '') || 0;
      } catch {
        /* unreadable .info sorts oldest, as on disk */
      }
      versions.push({ version, time, bytes: files.reduce((n, f) => n + f.size, 0) });
    }
    const plan = choose(versions);
    if (!dryRun) for (const v of plan.remove) await this.remove(module, v.version);
    return plan;
  }

  // ── lifecycle ────────────────────────────────────────────────────────────────────────────

  async newStaging(): Promise<string> {
    const dir = join(this.stagingRoot, ownedName());
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async writable(): Promise<boolean> {
    const key = `${this.internal}ready/${ownedName(4)}`;
    try {
      await this.o.put(key, { buffer: Buffer.from('ok') }, {}, false, 'text/plain');
      await this.o.delete(key);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Finish removers that crashed (6): for every trash copy, put it back if its version is
   * committed with those bytes and the body is missing; drop trash older than the grace
   * period. Also drop local staging dirs of dead processes on this host.
   */
  async recover(): Promise<void> {
    const trashBase = `${this.internal}trash/`;
    const groups = new Map<string, { ext: 'zip' | 'mod'; trash: string; sha?: string; age: number }[]>();
    for await (const o of this.o.list(trashBase)) {
      const m = /^(.+)\/@v\/([^/]+)\.(zip|mod)\.\d+-[0-9a-f]+$/.exec(o.key.slice(trashBase.length));
      if (!m) continue;
      const id = `${m[1]}\n${m[2]}`;
      const arr = groups.get(id) ?? [];
      arr.push({ ext: m[3] as 'zip' | 'mod', trash: o.key, age: Date.now() - o.lastModified });
      groups.set(id, arr);
    }
    for (const [id, items] of groups) {
      const [module, version] = id.split('\n') as [string, string];
      for (const t of items) t.sha = (await this.o.head(t.trash))?.meta[SHA];
      await this.restoreFromTrash(module, version, items);
      for (const t of items) if (t.age >= this.grace) await this.o.delete(t.trash);
    }
    for (const name of await readdir(this.stagingRoot).catch(() => [] as string[])) {
      if (ownerGone(name)) await rm(join(this.stagingRoot, name), { recursive: true, force: true });
    }
  }
}
