// Chromium for the browser test: Debian's `chromium` package (pinned), driven headless by playwright-core.
// Nothing downloads a browser: the project installs Debian's build on first use, as it does Prometheus.
import { ensureDebianPackage } from './prometheus';
import type { Log } from './local-stack';

/**
 * Debian bookworm's chromium, tested at this build; it comes from the security channel, so a newer
 * build is installed once this one is replaced there (ensureDebianPackage says which).
 */
export const CHROMIUM_DEB_VERSION = '156.0.8078.129-1~deb12u1';
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** The path of Debian's chromium; installs the pinned package (as root) if it is missing. */
export function ensureChromium(log: Log): string {
  ensureDebianPackage(
    { name: 'chromium', version: CHROMIUM_DEB_VERSION, commands: ['chromium'], securityUpdates: true },
    log,
  );
  return CHROMIUM_PATH;
}
