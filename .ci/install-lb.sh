#!/usr/bin/env bash
# Installs the load balancers the cluster tests drive (HAProxy, nginx) from
# Debian when they are missing; the tests skip, saying so, without them.
# Services are not started: the tests run their own instances.
set -euo pipefail
missing=()
command -v haproxy >/dev/null || missing+=(haproxy)
command -v nginx >/dev/null || missing+=(nginx-light)
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-lb: haproxy and nginx present"
	exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
	echo "install-lb: cannot install ${missing[*]} (not root or no apt-get); their tests will skip"
	exit 0
fi
start=$(date +%s)
# Keep package scripts from starting the services (a policy-rc.d that
# refuses every action), unless the machine already has one.
made_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	made_policy=1
fi
status=0
{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } || status=$?
[ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
if [ $status -ne 0 ]; then
	echo "install-lb: apt-get failed ($status); the HAProxy/nginx tests will skip"
	exit 0
fi
echo "install-lb: installed ${missing[*]} in $(( $(date +%s) - start )) s"
