#!/usr/bin/env node
/**
 * Completes package-lock.json with entries for platform-specific optional packages (biome's and
 * rollup's native binaries for other systems) that the package registry reachable from this
 * project's machines does not serve. Without an entry for each, npm 11's `npm ci` refuses the
 * lockfile ("Missing: @rollup/rollup-darwin-arm64@ from lock file") even though it would skip
 * those packages on Linux anyway. Each added entry names the version the parent pins and the
 * os/cpu/libc the package is for (read from its name), so npm skips it here and fetches it by
 * version on a machine that needs it.
 *
 *   node scripts/complete-lockfile.cjs          # after any `npm install` that changed the lock
 *   npm ci                                      # then works again
 *
 * Idempotent: entries already present are left alone.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const file = path.resolve(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const OS = ['aix', 'android', 'darwin', 'freebsd', 'linux', 'netbsd', 'openbsd', 'openharmony', 'sunos', 'win32'];
const CPU = ['arm', 'arm64', 'ia32', 'loong64', 'mips64el', 'ppc64', 'riscv64', 's390x', 'x64'];

const present = new Set(Object.keys(lock.packages).map((k) => k.replace(/^.*node_modules\//, '')));
const added = [];
for (const parent of Object.values(lock.packages)) {
  for (const [name, version] of Object.entries(parent.optionalDependencies ?? {})) {
    if (present.has(name)) continue;
    const tokens = name.split('/').pop().split('-');
    const os = tokens.find((t) => OS.includes(t));
    const cpu = tokens.find((t) => CPU.includes(t));
    if (!os || !cpu || !/^\d+\.\d+\.\d+$/.test(version)) {
      console.error(`complete-lockfile: cannot tell the platform of ${name}@${version}; add its entry by hand`);
      process.exit(1);
    }
    const musl = tokens.some((t) => t.startsWith('musl'));
    const gnu = os === 'linux' && tokens.some((t) => t.startsWith('gnu'));
    const entry = { version, cpu: [cpu] };
    if (parent.dev) entry.dev = true;
    if (musl || gnu) entry.libc = [musl ? 'musl' : 'glibc'];
    if (parent.license) entry.license = parent.license;
    entry.optional = true;
    entry.os = [os];
    lock.packages[`node_modules/${name}`] = entry;
    present.add(name);
    added.push(`${name}@${version}`);
  }
}

if (added.length === 0) {
  console.log('complete-lockfile: nothing to add');
  process.exit(0);
}
// npm writes the root entry first, then the rest in 'en' locale order; keep that so a later
// `npm install` does not reorder the file.
const keys = Object.keys(lock.packages).sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b, 'en')));
lock.packages = Object.fromEntries(keys.map((k) => [k, lock.packages[k]]));
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added.length} entries: ${added.join(', ')}`);
