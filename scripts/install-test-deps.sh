#!/bin/sh
# Installs the Debian packages the tests need, only those missing, without
# starting their services (a temporary policy-rc.d forbids it).
set -eu
pkgs=""
need() { # need BINARY PACKAGE
	command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ] || pkgs="$pkgs $2"
}
need haproxy haproxy
need keepalived keepalived
need ip iproute2
need tcpdump tcpdump
need wrk wrk
need socat socat
need chromium chromium # the stats page test drives headless Chromium
need tshark tshark     # decodes captured adverts (TestAdvertsDecodeInTshark)
need nft nftables      # keepalived's vrrp_strict/use_vmac firewall tables (TestFirewallLikeKeepalived)
[ -f /usr/lib/python3/dist-packages/aiosmtpd/__init__.py ] || pkgs="$pkgs python3-aiosmtpd"
[ -z "$pkgs" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-test-deps: missing:$pkgs (run as root to install them)" >&2
	exit 0
fi
echo "install-test-deps: installing$pkgs"
policy=/usr/sbin/policy-rc.d
created=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	created=1
fi
cleanup() { [ -n "$created" ] && rm -f "$policy"; }
trap cleanup EXIT
export DEBIAN_FRONTEND=noninteractive
# tshark: no setuid dumpcap for non-root capture (the question debconf asks).
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
