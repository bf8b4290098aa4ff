// After the integration run: if Jest is still alive some seconds after the test stack stopped, a handle
// left open keeps it (a server, a socket, a timer, a child process). Rather than wait forever, or exit
// as if nothing were wrong (forceExit), the run fails naming what is still open.

const GRACE_MS = 30_000;

interface NodeInternals {
  _getActiveHandles(): object[];
}

/** One line per open handle: its kind and what tells it apart (an address, a pid, a timer's delay). */
export function describeOpenHandles(): string[] {
  const handles = (process as unknown as NodeInternals)._getActiveHandles();
  return handles
    .map((h) => {
      const o = h as Record<string, unknown>;
      const kind = h.constructor?.name ?? 'unknown';
      if (kind === 'Socket' || kind === 'TLSSocket') {
        const fd = (o._handle as { fd?: number } | undefined)?.fd;
        // Jest's own stdio is always there.
        if (fd !== undefined && fd <= 2) return '';
        const s = h as { remoteAddress?: string; remotePort?: number; localPort?: number };
        return `${kind} ${s.remoteAddress ?? 'local'}:${s.remotePort ?? s.localPort ?? ''}`;
      }
      if (kind === 'Server')
        return `Server ${JSON.stringify((o as { address?: () => unknown }).address?.())}`;
      if (kind === 'ChildProcess') return `ChildProcess pid ${String(o.pid)} ${String(o.spawnfile)}`;
      if (kind === 'Timeout') {
        const fn = String(o._onTimeout).replace(/\s+/g, ' ').slice(0, 200);
        return `Timeout every ${String(o._idleTimeout)} ms: ${fn}`;
      }
      return kind;
    })
    .filter(Boolean);
}

/** Arms the check: an unref'd timer, so a run that exits on its own never sees it fire. */
export function failIfStillRunning(log: (m: string) => void): void {
  const timer = setTimeout(() => {
    log(
      `Jest is still running ${GRACE_MS / 1000} s after the test stack stopped: a test left open\n  ` +
        [...describeOpenHandles(), `resources: ${process.getActiveResourcesInfo().join(', ')}`].join('\n  '),
    );
    process.exit(1);
  }, GRACE_MS);
  timer.unref();
}
