import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
const [dir, part, lo, hi] = process.argv.slice(2) as [string, string, string, string];
for (const a of readdirSync(dir).sort()) for (const f of readdirSync(join(dir, a)).filter((f) => f.startsWith('batches')).sort()) {
  for (const line of readFileSync(join(dir, a, f), 'utf8').split('\n').filter(Boolean)) {
    const b = JSON.parse(line);
    for (const i of b.inputs ?? []) for (const r of i.offsetRanges ?? [])
      if (r.partition === Number(part) && r.untilOffset > Number(lo) && r.fromOffset <= Number(hi) && r.untilOffset > r.fromOffset)
        console.log(`${a}/${f} ${new Date(b.batchTime).toISOString().slice(14, 23)} ${b.outcome} [${r.fromOffset},${r.untilOffset}) ${(b.outputOperations ?? []).map((o: any) => o.failureReason ?? '').join('|').slice(0, 150)}`);
  }
}
