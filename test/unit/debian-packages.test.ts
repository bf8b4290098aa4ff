// Which Debian build the stack installs (scripts/stack/prometheus.ts): the pinned one while the archive
// has it; for a security-channel package whose pinned build was replaced, the newest, said aloud.
import { aptInstallTarget, madisonVersions } from '../../scripts/stack/prometheus';

const MADISON = [
  '  chromium | 156.0.8078.129-1~deb12u1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages',
  '  chromium | 150.0.7871.100-1~deb12u1 | http://deb.debian.org/debian bookworm/main amd64 Packages',
  '',
].join('\n');

test("apt-cache madison's versions, newest first", () => {
  expect(madisonVersions(MADISON)).toEqual(['156.0.8078.129-1~deb12u1', '150.0.7871.100-1~deb12u1']);
  expect(madisonVersions('')).toEqual([]);
});

test('the pinned build while the archive lists it', () => {
  const pkg = {
    name: 'chromium',
    version: '150.0.7871.100-1~deb12u1',
    commands: ['chromium'],
    securityUpdates: true,
  };
  expect(aptInstallTarget(pkg, madisonVersions(MADISON))).toEqual({
    target: 'chromium=150.0.7871.100-1~deb12u1',
  });
});

test('a security-channel package whose build was replaced: the newest, with a line naming both', () => {
  const pkg = {
    name: 'chromium',
    version: '156.0.8078.114-1~deb12u1',
    commands: ['chromium'],
    securityUpdates: true,
  };
  const { target, note } = aptInstallTarget(pkg, madisonVersions(MADISON));
  expect(target).toBe('chromium=156.0.8078.129-1~deb12u1');
  expect(note).toBe(
    "Debian's archive no longer has chromium=156.0.8078.114-1~deb12u1 (a security update replaced it): " +
      'installing chromium 156.0.8078.129-1~deb12u1',
  );
});

test('any other package stays pinned: apt-get then names the missing version', () => {
  const pkg = { name: 'prometheus', version: '2.42.0+ds-5+deb12u1', commands: ['prometheus'] };
  expect(aptInstallTarget(pkg, ['2.42.0+ds-5+deb12u2'])).toEqual({
    target: 'prometheus=2.42.0+ds-5+deb12u1',
  });
});
