#!/bin/sh
# poplock from the tarball, for hosts without dpkg: ./install.sh [ROOT]   (default /)
#   ./install.sh --uninstall [ROOT]  removes it again (--purge also removes /etc/poplock,
#   /var/lib/poplock and the poplock user).
# The same files and the same setup steps as the Debian package (its postinst, postrm).
set -e
here=$(cd "$(dirname "$0")" && pwd)
action=install
case ${1:-} in --uninstall|--purge) action=$1; shift ;; esac
root=${1:-}
[ "$root" = / ] && root=
export DPKG_ROOT=$root
if [ "$action" = install ]; then
  # Keep an existing configuration, as dpkg does with a conffile.
  if [ -f "$root/etc/poplock/poplock.conf" ]; then keep=$root/etc/poplock/poplock.conf.keep; cp "$root/etc/poplock/poplock.conf" "$keep"; fi
  (cd "$here/root" && tar -cf - .) | (mkdir -p "${root:-/}" && cd "${root:-/}" && tar -xf - --no-same-owner)
  if [ -n "${keep:-}" ]; then mv "$keep" "$root/etc/poplock/poplock.conf"; fi
  sh "$here/postinst" configure
  echo "poplock installed under ${root:-/}"
else
  sh "$here/prerm" remove
  (cd "$here/root" && find . ! -type d) | while read -r f; do
    case $f in ./etc/poplock/*) [ "$action" = --purge ] || continue ;; esac
    rm -f "$root/${f#./}"
  done
  rm -rf "$root/usr/share/poplock" "$root/usr/lib/poplock" "$root/usr/share/doc/poplock"
  [ "$action" = --purge ] && sh "$here/postrm" purge
  echo "poplock removed from ${root:-/}"
fi
