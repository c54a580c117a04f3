#!/usr/bin/env bash
# Snapshot benchmark (issue 9's targets), on a fresh 3-node cluster with the default snapshot
# settings, everything on this machine:
#   1. one follower is stopped; redis-benchmark writes N SETs of 100 bytes over K keys to the leader;
#   2. RSS and data-directory size of the nodes that were up;
#   3. the stopped follower restarts: time until it serves (READONLY) the leader's value of every key;
#   4. the whole cluster restarts: time from `raftkv up` to the first successful write, and RSS after;
#   5. SAVE on the leader while a probe client GETs in a loop: the snapshot's time and size, and the
#      probe's worst latency during it (against its worst latency over the same time without one).
# usage: bash bench/snapshots.sh [N=1000000] [K=1000]      (needs redis-benchmark, redis-cli)
set -euo pipefail
N=${1:-1000000}
K=${2:-1000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RAFTKV="node $ROOT/dist/src/cli/raftkv.js"
DIR=$(mktemp -d /tmp/raftkv-snapbench-XXXXXX)
cd "$DIR"
BASE=$((20000 + RANDOM % 20000))
cat > cluster.json <<EOF
{
  "nodes": [
    {"id": 1, "host": "127.0.0.1", "port": $BASE, "peerPort": $((BASE + 100))},
    {"id": 2, "host": "127.0.0.1", "port": $((BASE + 1)), "peerPort": $((BASE + 101))},
    {"id": 3, "host": "127.0.0.1", "port": $((BASE + 2)), "peerPort": $((BASE + 102))}
  ],
  "electionTimeoutMs": {"min": 150, "max": 300},
  "heartbeatIntervalMs": 50,
  "dataDir": "data",
  "logDir": "logs"
}
EOF
cleanup() { $RAFTKV ctl shutdown --config cluster.json >/dev/null 2>&1 || true; sleep 1; pkill -f "$DIR/cluster.json" || true; }
trap cleanup EXIT

now_ms() { date +%s%3N; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
pid_of() { $RAFTKV ctl status --config cluster.json --json | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const r=JSON.parse(s).find(x=>x.id===$1);console.log(r&&r.pid||'')})"; }
leader() { $RAFTKV ctl status --config cluster.json --json | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const r=JSON.parse(s).find(x=>x.role==='leader');console.log(r?r.id:'')})"; }
wait_leader() { for _ in $(seq 1 200); do L=$(leader 2>/dev/null || true); [ -n "$L" ] && { echo "$L"; return; }; sleep 0.05; done; echo "no leader" >&2; exit 1; }

$RAFTKV up --config cluster.json > up.log 2>&1 &
L=$(wait_leader)
F=$(( L % 3 + 1 ))
echo "machine: $(nproc) cores, $(node --version); leader node $L, stopped follower node $F"
$RAFTKV ctl stop "$F" --config cluster.json > /dev/null
LP=$((BASE + L - 1))
start=$(now_ms)
redis-benchmark -p "$LP" -t set -n "$N" -r "$K" -d 100 -c 64 -q 2>&1 | tr '\r' '\n' | grep -E 'requests per second|rror' | tail -2 || true
echo "writes: $N SETs over $K keys in $(( ($(now_ms) - start) / 1000 )) s"
for id in 1 2 3; do
  [ "$id" = "$F" ] && continue
  echo "node $id: RSS $(rss_mb "$(pid_of "$id")") MB, data dir $(du -sm "data/node-$id" | cut -f1) MB ($(ls data/node-$id | tr '\n' ' '))"
done

# 3. the stopped follower comes back (every value compared up to 10,000 keys; beyond, DBSIZE)
FP=$((BASE + F - 1))
if [ "$K" -le 10000 ]; then
  keys=$(redis-cli -p "$LP" KEYS '*' | sort)
  want=$( (for k in $keys; do echo "GET $k"; done) | redis-cli -p "$LP" | md5sum)
  check() { (echo READONLY; for k in $keys; do echo "GET $k"; done) | redis-cli -p "$FP" 2>/dev/null | tail -n +2 | md5sum; }
  what="the leader's values of all $(echo "$keys" | wc -w) keys"
else
  want=$(redis-cli -p "$LP" DBSIZE)
  check() { (echo READONLY; echo DBSIZE) | redis-cli -p "$FP" 2>/dev/null | tail -1; }
  what="as many keys as the leader ($want)"
fi
start=$(now_ms)
$RAFTKV ctl restart "$F" --config cluster.json > /dev/null
got=""
for _ in $(seq 1 600); do
  got=$(check || true)
  [ "$got" = "$want" ] && break
  sleep 0.05
done
[ "$got" = "$want" ] && echo "follower node $F serves $what $(( $(now_ms) - start )) ms after its restart" || echo "follower node $F did NOT catch up"
grep -h "installed snapshot\|recovered" "logs/node-$F.log" | tail -2

# 4. whole-cluster restart
$RAFTKV ctl shutdown --config cluster.json > /dev/null; sleep 1.5
start=$(now_ms)
$RAFTKV up --config cluster.json > up2.log 2>&1 &
for _ in $(seq 1 400); do
  for p in $BASE $((BASE + 1)) $((BASE + 2)); do
    [ "$(redis-cli -p $p SET restart-probe 1 2>/dev/null)" = "OK" ] && { ok=1; break 2; }
  done
  sleep 0.02
done
echo "full restart: first successful write $(( $(now_ms) - start )) ms after raftkv up"
sleep 1
for id in 1 2 3; do echo "node $id after restart: RSS $(rss_mb "$(pid_of "$id")") MB"; done
grep -h "recovered" logs/node-*.log | tail -3

# 5. latency added by a snapshot
L=$(wait_leader); LP=$((BASE + L - 1))
probe() {
  node -e "
    const net=require('net');const s=net.connect($LP,'127.0.0.1');let t0=0,max=0,n=0;const end=Date.now()+$1;
    const go=()=>{t0=process.hrtime.bigint();s.write('GET key:000000000001\r\n')};
    s.on('data',()=>{const ms=Number(process.hrtime.bigint()-t0)/1e6;if(ms>max)max=ms;n++;if(Date.now()<end)setTimeout(go,1);else{console.log(max.toFixed(1)+' ms worst of '+n);s.end()}});
    s.on('connect',go);"
}
echo "probe without a snapshot: $(probe 3000)"
probe 3000 > probe.out & PROBE=$!
sleep 0.3
redis-cli -p "$LP" SAVE > /dev/null
wait $PROBE
echo "probe during SAVE:        $(cat probe.out)"
grep -h "snapshot taken (requested)" "logs/node-$L.log" | tail -1
