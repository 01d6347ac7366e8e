#!/bin/sh
# Installs the Debian packages Samplan needs that a fresh machine may lack:
# pango (WeasyPrint's PDF rendering), fonts, gettext (translations), Chromium (browser tests),
# liblouis (braille), espeak-ng (Swedish speech) and opus-tools (Ogg/Opus audio) for documents.
set -e
PACKAGES="libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core gettext chromium liblouis-bin liblouis-data espeak-ng opus-tools"
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "Installing Debian packages:$missing"
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
