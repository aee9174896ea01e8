#!/usr/bin/env bash
# The main job (README, "Run the demo"): builds the workspace and walks
# through what Tandem can already do, on seed 003's MySQL-on-DRBD cluster.
# Idempotent; needs ../shared beside the checkout; leaves nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=$(cd .. && pwd)/shared
if [ ! -d "$SHARED/reference/crm-syntax" ]; then
    echo "demo.sh: $SHARED is missing; the demo reads seed 003 and cluster states from it" >&2
    exit 1
fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }

step "Building (cargo build --release)"
cargo build --release --workspace --bins
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release
export PATH=$BIN:$PATH

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

step "1. Configure seed 003's cluster with crm, offline on a CIB file"
cat > "$WORK/cib.xml" <<'XML'
<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config/>
    <nodes/>
    <resources/>
    <constraints/>
  </configuration>
  <status/>
</cib>
XML
export CIB_file=$WORK/cib.xml
echo "The crm configure block from the Pacemaker + DRBD + MySQL tutorial:"
sed 's/^/    /' "$SHARED/reference/crm-syntax/38-seed-mysql-drbd.crm"
run crm -F configure load update "$SHARED/reference/crm-syntax/38-seed-mysql-drbd.crm"
run crm configure show

step "2. Typographic quotes pasted from a blog are refused, naming the place"
printf 'primitive p_test ocf:heartbeat:Dummy params fake=\xe2\x80\x9dvalue\xe2\x80\x9d\n' > "$WORK/smart.crm"
run crm configure load update "$WORK/smart.crm" || echo "(exit $?: nothing was changed)"

step "3. The CIB crm wrote, checked and summarised"
run tandem-cib verify "$WORK/cib.xml"
run tandem-cib summary "$WORK/cib.xml"
if command -v crm_verify >/dev/null; then
    echo "Pacemaker's own crm_verify on the same file (it only asks for STONITH):"
    crm_verify -x "$WORK/cib.xml" 2>&1 | sed 's/^/    /' || true
fi
echo "A broken copy: a colocation with a resource that does not exist"
sed 's/with-rsc="ms_drbd_mysql"/with-rsc="ms_drbd_mysqll"/' "$WORK/cib.xml" > "$WORK/broken.xml"
run tandem-cib verify "$WORK/broken.xml" || echo "(exit $?)"

step "4. The running cluster (node1 holds the database and the DRBD primary)"
cp "$SHARED/reference/crm-status/s3-promoted-and-running.cib.xml" "$WORK/live.xml"
export CIB_file=$WORK/live.xml
run crm status

step "5. node1 dies: what the scheduler decides"
run crm node clearstate node1
run tandem-simulate -x "$WORK/live.xml" -S

step "6. Our agents, run by the local resource manager the way Pacemaker runs them"
run tandem-agent install --ocf-root "$WORK/ocf"
for action in start monitor stop monitor; do
    run tandem-lrm --ocf-root "$WORK/ocf" exec ocf:tandem:Dummy "$action" state="$WORK/dummy.state" || true
done

step "7. Membership: three tandemd nodes form a ring on 127.0.0.1-3, then one is killed"
PORT=$((20000 + RANDOM % 20000))
cat > "$WORK/corosync.conf" <<CONF
totem {
    version: 2
    cluster_name: demo
    transport: udpu
    token: 300
    interface {
        ringnumber: 0
        mcastport: $PORT
    }
}
nodelist {
    node {
        ring0_addr: 127.0.0.1
        name: node1
        nodeid: 1
    }
    node {
        ring0_addr: 127.0.0.2
        name: node2
        nodeid: 2
    }
    node {
        ring0_addr: 127.0.0.3
        name: node3
        nodeid: 3
    }
}
quorum {
    provider: corosync_votequorum
}
CONF
sed 's/^/    /' "$WORK/corosync.conf"
for i in 1 2 3; do
    tandemd --config "$WORK/corosync.conf" --node "$i" --socket "$WORK/node$i.sock" \
        --state-dir "$WORK/state$i" > "$WORK/node$i.log" 2>&1 &
    PIDS+=($!)
    disown
done
for i in 1 2 3; do
    for _ in $(seq 50); do [ -S "$WORK/node$i.sock" ] && break; sleep 0.1; done
    [ -S "$WORK/node$i.sock" ] || { echo "tandemd node$i did not start:"; cat "$WORK/node$i.log"; exit 1; }
done
sleep 1
run tandem-cfgtool --socket "$WORK/node1.sock" -s
run tandem-quorumtool --socket "$WORK/node1.sock" -s
echo "kill -9 node3 (pid ${PIDS[2]}), then look again 2 s later:"
kill -9 "${PIDS[2]}"
sleep 2
run tandem-quorumtool --socket "$WORK/node1.sock" -s

printf '\nDone. Everything ran on copies in a temporary folder, now removed.\n'
