#!/usr/bin/env bash
# The test command (README, "Run the tests"): installs what the tests need,
# then runs every check. Idempotent; run as root on Debian 12 with Rust.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use:
#   pacemaker-cli-utils  real crm_verify / crm_simulate / crm_diff, to compare against
#   resource-agents      ocf-tester and Debian's own OCF agents
#   pacemaker-resource-agents  ocf:pacemaker:Stateful, run unmodified by the LRM tests
#   libxml2-utils        xmllint, which ocf-tester uses to check meta-data
#   kmod                 modprobe, which Debian's Filesystem agent calls
#   mariadb-server, mariadb-client  the mysql agent's tests
#   iproute2             network namespaces for IPaddr2 and multi-node tests
#   e2fsprogs, mount, util-linux  mkfs.ext4, losetup, mount for Filesystem tests
#   python3              the reference corpora's scoring scripts
packages=(pacemaker-cli-utils resource-agents pacemaker-resource-agents libxml2-utils kmod
          mariadb-server mariadb-client iproute2 e2fsprogs mount util-linux python3)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "test.sh: missing packages ${missing[*]}; run as root to install them" >&2
        exit 1
    fi
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

if [ ! -d ../shared/conformance ]; then
    echo "test.sh: ../shared (the reference corpora) is missing beside this checkout;" >&2
    echo "         the tests read it at run time and cannot run without it" >&2
    exit 1
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo test"
cargo test --workspace
