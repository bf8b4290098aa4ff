// Chromium for the browser test: Debian's `chromium` package (pinned), driven headless by playwright-core.
// Nothing downloads a browser: the project installs Debian's build on first use, as it does Prometheus.
import { ensureDebianPackage } from './prometheus';
import type { Log } from './local-stack';

/** Debian bookworm's chromium (security updates channel). */
export const CHROMIUM_DEB_VERSION = '156.0.8078.114-1~deb12u1';
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** The path of Debian's chromium; installs the pinned package (as root) if it is missing. */
export function ensureChromium(log: Log): string {
  ensureDebianPackage({ name: 'chromium', version: CHROMIUM_DEB_VERSION, commands: ['chromium'] }, log);
  return CHROMIUM_PATH;
}
