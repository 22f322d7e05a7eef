#!/usr/bin/env bash
# A throw-away single-node Ceph cluster (one monitor, one memstore OSD, radosgw) on loopback, for
# tests that need an S3 engine which enforces bucket policies. Ceph 16 has no SQLite dbstore, so
# radosgw needs RADOS under it; memstore keeps that in memory.
#
#   rgw-cluster.sh start <dir>   creates the cluster in <dir> (empty or missing), starts it, waits
#                                until radosgw answers HTTP, prints {"endpoint":…,"dir":…} on stdout
#   rgw-cluster.sh stop <dir>    kills the daemons recorded in <dir> and deletes <dir>
#
# With RGW_STS=1 at start, radosgw also serves STS (AssumeRole) for the role-access tests. It is
# off otherwise: with STS auth on, RGW answers a wrong secret key with AccessDenied instead of
# SignatureDoesNotMatch, which the other tests tell apart.
#
# Everything (config, data, admin sockets, logs) lives in <dir>; /etc/ceph and /var/lib/ceph are
# never read or written, and systemd is not involved. Daemons run in the foreground of a
# background job so their PIDs are known from the start, and a failed start kills them again.
set -euo pipefail

readonly STOP_GRACE_SECONDS=5
readonly MON_TIMEOUT_SECONDS=20
readonly OSD_TIMEOUT_SECONDS=30
readonly RGW_TIMEOUT_SECONDS=60

usage() {
  echo "usage: $0 start|stop <dir>" >&2
  exit 2
}

# Whether something accepts TCP connections on 127.0.0.1:<port> (bash's /dev/tcp, so neither ss nor
# curl has to be installed).
listening() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A random loopback TCP port nobody listens on, below Linux's ephemeral range (32768+) so outgoing
# connections never hold it. Two clusters starting at once could still pick the same one; 22 000
# ports make that unlikely, and the loser fails loudly.
free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((10000 + RANDOM % 22000))
    if ! listening "$port"; then
      echo "$port"
      return 0
    fi
  done
  echo "rgw-cluster: no free loopback port found" >&2
  return 1
}

# Whether radosgw answers an anonymous ListBuckets on <port> with HTTP 200.
answers_http() (
  port=$1
  { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || exit 1
  printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$port" >&3
  read -r -t 2 status <&3 || exit 1
  [[ "$status" == "HTTP/1."?" 200"* ]]
)

# The daemons of <dir>, as "name pid" lines; a PID only counts while its command line still names
# this cluster's config, so a recycled PID is never killed.
live_daemons() {
  local dir=$1 name pid
  [ -f "$dir/pids" ] || return 0
  while read -r name pid; do
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$dir/ceph.conf"; then
      echo "$name $pid"
    fi
  done <"$dir/pids"
}

# TERM the daemons of <dir> whose names match <pattern>, then KILL whatever is still there after the
# grace period.
kill_matching() {
  local dir=$1 pattern=$2 name pid
  matching() { live_daemons "$dir" | grep -E "^($pattern) " || true; }
  while read -r name pid; do
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  done < <(matching)
  for _ in $(seq 1 $((STOP_GRACE_SECONDS * 10))); do
    [ -z "$(matching)" ] && return 0
    sleep 0.1
  done
  while read -r name pid; do
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  done < <(matching)
  for _ in $(seq 1 50); do
    [ -z "$(matching)" ] && return 0
    sleep 0.1
  done
  echo "rgw-cluster: still running after KILL: $(matching | tr '\n' ' ')" >&2
  return 1
}

# The monitor goes last: an OSD stopping while its monitor is still up says goodbye and exits at
# once, instead of waiting out osd_mon_shutdown_timeout for an answer that never comes.
kill_daemons() {
  local dir=$1 status=0
  kill_matching "$dir" 'client\.rgw|osd\.[0-9]+' || status=1
  kill_matching "$dir" 'mon\.[a-z]+' || status=1
  return "$status"
}

# STS for the role-access tests: RGW signs its session tokens with this 16-character key.
sts_config() {
  if [ "${RGW_STS:-}" = 1 ]; then
    printf '%s\n' 'rgw_sts_key = s3destinationsts' 'rgw_s3_auth_use_sts = true'
  fi
}

write_config() {
  local dir=$1 fsid=$2 mon_port=$3 rgw_port=$4
  # Every path option that defaults to /var or /etc is pointed into <dir>.
  cat >"$dir/ceph.conf" <<EOF
[global]
fsid = $fsid
mon_host = [v2:127.0.0.1:$mon_port]
mon_initial_members = a
public_addr = 127.0.0.1
ms_bind_msgr1 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_mon_client_mode = crc
keyring = $dir/keyring
run_dir = $dir/run
admin_socket = $dir/run/\$name.asok
pid_file = $dir/run/\$name.pid
log_file = $dir/log/\$name.log
mon_cluster_log_file = $dir/log/cluster.\$channel.log
mon_debug_dump_location = $dir/log/\$name.tdump
crash_dir = $dir/crash
exec_dir = $dir/run
gss_ktab_client_file = $dir/run/\$name.ktab
immutable_object_cache_sock = $dir/run/immutable_object_cache_sock
mon_data = $dir/mon/\$name
osd_data = $dir/osd/\$name
osd_journal = $dir/osd/\$name/journal
mgr_data = $dir/mgr/\$name
mds_data = $dir/mds/\$name
rgw_data = $dir/rgw/\$name
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off

[osd]
osd_objectstore = memstore
memstore_device_bytes = 1073741824

[client]
ms_mon_client_mode = crc
$(sts_config)

[client.rgw]
rgw_frontends = beast endpoint=127.0.0.1:$rgw_port
EOF
}

# Runs a daemon in the foreground of a background job, recording its PID before anything else.
launch() {
  local dir=$1 name=$2
  shift 2
  "$@" -f >"$dir/log/$name.out" 2>&1 </dev/null &
  echo "$name $!" >>"$dir/pids"
}

# Fails the start: names the daemon, shows the tail of its log, and leaves no daemon behind.
fail() {
  local dir=$1 name=$2 reason=$3 log
  {
    echo "rgw-cluster: $name $reason"
    for log in "$dir/log/$name.out" "$dir/log/$name.log"; do
      if [ -s "$log" ]; then
        echo "--- last lines of $log"
        tail -n 25 "$log"
      fi
    done
  } >&2
  exit 1
}

daemon_alive() {
  local dir=$1 name=$2
  live_daemons "$dir" | grep -q "^$name "
}

# Polls `check` every half second until it succeeds; fails if the daemon dies or time runs out.
wait_for() {
  local dir=$1 name=$2 seconds=$3 what=$4
  shift 4
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    daemon_alive "$dir" "$name" || fail "$dir" "$name" "exited before $what"
    [ "$SECONDS" -lt "$deadline" ] || fail "$dir" "$name" "did not reach '$what' within ${seconds}s"
    sleep 0.5
  done
}

ceph_cli() {
  local dir=$1
  shift
  timeout 15 ceph --conf "$dir/ceph.conf" --connect-timeout 10 "$@"
}

osd_up() {
  local dir=$1
  ceph_cli "$dir" osd dump | grep -q '^osd\.0 up'
}

start() {
  local dir=$1
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd -P)
  if [ -n "$(ls -A "$dir")" ]; then
    echo "rgw-cluster: $dir is not empty; give a fresh directory" >&2
    exit 2
  fi
  for tool in ceph-mon ceph-osd radosgw ceph monmaptool uuidgen timeout; do
    command -v "$tool" >/dev/null || {
      echo "rgw-cluster: $tool is not installed (Debian: radosgw ceph-mon ceph-osd)" >&2
      exit 1
    }
  done
  mkdir -p "$dir"/{run,log,mon/mon.a,osd/osd.0,rgw,crash}
  : >"$dir/pids"
  # A start that fails, or is itself killed (say, by a test timeout), takes its daemons with it.
  trap 'status=$?; if [ "$status" -ne 0 ]; then kill_daemons "'"$dir"'" || true; fi' EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT
  trap 'exit 129' HUP

  local fsid mon_port rgw_port osd_uuid
  fsid=$(uuidgen)
  osd_uuid=$(uuidgen)
  mon_port=$(free_port)
  rgw_port=$(free_port)
  while [ "$rgw_port" = "$mon_port" ]; do rgw_port=$(free_port); done
  write_config "$dir" "$fsid" "$mon_port" "$rgw_port"
  local conf="$dir/ceph.conf"

  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap" \
    >"$dir/log/monmaptool.out" 2>&1 || fail "$dir" monmaptool "could not write the monmap"
  ceph-mon --conf "$conf" -i a --mkfs --monmap "$dir/monmap" >"$dir/log/mon.a.out" 2>&1 ||
    fail "$dir" mon.a "mkfs failed"
  launch "$dir" mon.a ceph-mon --conf "$conf" -i a
  wait_for "$dir" mon.a "$MON_TIMEOUT_SECONDS" "quorum" ceph_cli "$dir" mon stat

  local osd_id
  osd_id=$(ceph_cli "$dir" osd new "$osd_uuid" 2>>"$dir/log/osd.0.out") ||
    fail "$dir" osd.0 "could not be registered with the monitor"
  [ "$osd_id" = 0 ] || fail "$dir" osd.0 "got id '$osd_id' instead of 0"
  ceph-osd --conf "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$dir/log/osd.0.out" 2>&1 ||
    fail "$dir" osd.0 "mkfs failed"
  launch "$dir" osd.0 ceph-osd --conf "$conf" -i 0
  wait_for "$dir" osd.0 "$OSD_TIMEOUT_SECONDS" "up" osd_up "$dir"

  launch "$dir" client.rgw radosgw --conf "$conf" -n client.rgw
  local endpoint="http://127.0.0.1:$rgw_port"
  wait_for "$dir" client.rgw "$RGW_TIMEOUT_SECONDS" "answering HTTP on $endpoint" \
    answers_http "$rgw_port"

  printf '{"endpoint":"%s","dir":"%s"}\n' "$endpoint" "$dir"
}

stop() {
  local dir=$1
  [ -d "$dir" ] || return 0
  dir=$(cd "$dir" && pwd -P)
  # Only delete a directory this script made, never an arbitrary path given by mistake.
  if [ ! -f "$dir/pids" ] && [ ! -f "$dir/ceph.conf" ]; then
    echo "rgw-cluster: $dir is not a cluster directory; not deleting it" >&2
    exit 2
  fi
  kill_daemons "$dir"
  rm -rf "$dir"
}

[ $# -eq 2 ] || usage
case "$1" in
  start) start "$2" ;;
  stop) stop "$2" ;;
  *) usage ;;
esac
