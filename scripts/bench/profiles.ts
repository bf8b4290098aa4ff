// The bench's --profile summary: the hottest functions (self time) of each process's CPU profile.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../stack/spec';
import { PROFILE_DIR } from './options';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** The hottest functions (self time) of each process's CPU profile. */
export function summariseProfiles(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let dirs: string[];
  try {
    dirs = readdirSync(PROFILE_DIR);
  } catch {
    return out;
  }
  for (const dir of dirs) {
    for (const file of readdirSync(join(PROFILE_DIR, dir)).filter((f) => f.endsWith('.cpuprofile'))) {
      const prof = JSON.parse(readFileSync(join(PROFILE_DIR, dir, file), 'utf8')) as CpuProfile;
      const byId = new Map(prof.nodes.map((n) => [n.id, n]));
      const self = new Map<string, number>();
      let total = 0;
      prof.samples.forEach((id, i) => {
        const n = byId.get(id)!;
        const where = n.callFrame.url.replace(/^.*node_modules\//, '').replace(`file://${ROOT}/`, '');
        const key = `${n.callFrame.functionName || '(anonymous)'} ${where}:${n.callFrame.lineNumber + 1}`;
        const dt = prof.timeDeltas[i] ?? 0;
        total += dt;
        self.set(key, (self.get(key) ?? 0) + dt);
      });
      out[`${dir}/${file}`] = [...self.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 12)
        .map(([k, us]) => `${((us / total) * 100).toFixed(1)}% ${k}`);
    }
  }
  return out;
}
