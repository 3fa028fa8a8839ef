#!/usr/bin/python3
"""A scriptable libtorrent peer for rxtorrent's interop tests and benchmark.

Run with Debian's /usr/bin/python3 (python3-libtorrent). Every mode binds to
127.0.0.1 only, with DHT, LSD, UPnP and NAT-PMP off, uTP off (unless --utp),
no rate limits (unless asked) and plaintext connections allowed.

Modes:
  seed <torrent> <save_path>       check the data, then seed until killed
  download <torrent> <save_path>   download (from --peer), exit 0 when done
  bench <torrent> <save_path>      download like `download`, print timing
  create <path> <out.torrent>      write a .torrent made by libtorrent
  info <torrent> -                 print what libtorrent reads in a .torrent

Options:
  --port N              listen port (0 = any, the default)
  --peer HOST:PORT      peer to connect to (repeatable)
  --upload-limit B/s    per-torrent upload limit in bytes/s (0 = none)
  --timeout S           give up (exit 3) after S seconds (0 = never)
  --keep-seeding        download mode: keep running after finishing
  --utp                 allow uTP as well as TCP
  --no-pex              no default plugins (ut_pex, ut_metadata, smart_ban):
                        the peer learns no addresses beyond --peer
  --piece-length BYTES  create mode: piece length
  --tracker URL         create mode: announce URL (repeatable, one tier each)

Stdout carries one JSON object per line:
  {"event":"listening","port":N}
  {"event":"state","state":"...","progress":0.5,...}
  {"event":"finished", ...}           (data complete: seeding / downloaded)
  {"event":"bench","seconds":S,"bytes":N,"mbps":R,"hashFailures":N}
  {"event":"error","message":"..."}
Diagnostics (peer connects and disconnects, alerts) go to stderr.

The process exits when its parent dies or its stdin reaches EOF, so a test
that forgets it (or crashes) never leaks a seeder.
"""

import json
import os
import stat
import sys
import threading
import time

import libtorrent as lt


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def log(msg):
    sys.stderr.write("[lt_peer %d] %s\n" % (os.getpid(), msg))
    sys.stderr.flush()


def parse_args(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        sys.exit(2)
    opts = {
        "mode": argv[0],
        "a": argv[1],
        "b": argv[2],
        "port": 0,
        "peers": [],
        "upload_limit": 0,
        "timeout": 0.0,
        "keep_seeding": False,
        "utp": False,
        "pex": True,
        "piece_length": 0,
        "trackers": [],
    }
    rest = argv[3:]
    i = 0
    while i < len(rest):
        flag = rest[i]
        if flag == "--keep-seeding":
            opts["keep_seeding"] = True
            i += 1
            continue
        if flag == "--utp":
            opts["utp"] = True
            i += 1
            continue
        if flag == "--no-pex":
            opts["pex"] = False
            i += 1
            continue
        if i + 1 >= len(rest):
            sys.stderr.write("missing value for %s\n" % flag)
            sys.exit(2)
        value = rest[i + 1]
        if flag == "--port":
            opts["port"] = int(value)
        elif flag == "--peer":
            host, _, port = value.rpartition(":")
            opts["peers"].append((host, int(port)))
        elif flag == "--upload-limit":
            opts["upload_limit"] = int(value)
        elif flag == "--timeout":
            opts["timeout"] = float(value)
        elif flag == "--tracker":
            opts["trackers"].append(value)
        elif flag == "--piece-length":
            opts["piece_length"] = int(value)
        else:
            sys.stderr.write("unknown option %s\n" % flag)
            sys.exit(2)
        i += 2
    return opts


def watch_parent():
    """Exit when the parent process goes away or closes our stdin pipe."""
    parent = os.getppid()

    def poll_parent():
        while True:
            if os.getppid() != parent:
                os._exit(0)
            time.sleep(0.5)

    def read_stdin():
        try:
            while sys.stdin.buffer.read1(4096):
                pass
        except Exception:
            pass
        os._exit(0)

    threading.Thread(target=poll_parent, daemon=True).start()
    try:
        # Node's stdio "pipes" are socketpairs, shells' are FIFOs.
        mode = os.fstat(0).st_mode
        stdin_is_pipe = stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
    except OSError:
        stdin_is_pipe = False
    if stdin_is_pipe:
        threading.Thread(target=read_stdin, daemon=True).start()


def create_torrent(path, out, piece_length, trackers):
    fs = lt.file_storage()
    lt.add_files(fs, path)
    flags = lt.create_torrent.v1_only if hasattr(lt.create_torrent, "v1_only") else 0
    ct = lt.create_torrent(fs, piece_length, flags=flags)
    ct.set_creator("libtorrent %s (rxtorrent interop)" % lt.__version__)
    for tier, url in enumerate(trackers):
        ct.add_tracker(url, tier)
    lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(path)))
    with open(out, "wb") as f:
        f.write(lt.bencode(ct.generate()))
    emit({"event": "created", "path": out})


def torrent_summary(path):
    ti = lt.torrent_info(path)
    fs = ti.files()
    emit({
        "event": "info",
        "infoHash": str(ti.info_hash()),
        "name": ti.name(),
        "pieceLength": ti.piece_length(),
        "pieceCount": ti.num_pieces(),
        "totalSize": ti.total_size(),
        "files": [{"path": fs.file_path(i), "size": fs.file_size(i)} for i in range(fs.num_files())],
    })


def make_session(opts):
    settings = {
        "listen_interfaces": "127.0.0.1:%d" % opts["port"],
        "outgoing_interfaces": "",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "dht_bootstrap_nodes": "",
        "enable_outgoing_utp": opts["utp"],
        "enable_incoming_utp": opts["utp"],
        "enable_outgoing_tcp": True,
        "enable_incoming_tcp": True,
        "allow_multiple_connections_per_ip": True,
        "out_enc_policy": int(lt.enc_policy.pe_disabled),
        "in_enc_policy": int(lt.enc_policy.pe_enabled),
        "allowed_enc_level": 3,
        "upload_rate_limit": 0,
        "download_rate_limit": 0,
        "connections_limit": 200,
        "unchoke_slots_limit": 20,
        "active_downloads": -1,
        "active_seeds": -1,
        "active_limit": -1,
        "announce_to_all_trackers": False,
        "anonymous_mode": False,
        "alert_mask": int(
            lt.alert_category.error
            | lt.alert_category.status
            | lt.alert_category.storage
            | lt.alert_category.connect
            | lt.alert_category.peer
            | lt.alert_category.tracker
        ),
        "user_agent": "rxtorrent-interop/libtorrent-%s" % lt.__version__,
    }
    # flags=0: without add_default_plugins (ut_pex, ut_metadata, smart_ban).
    return lt.session(settings) if opts["pex"] else lt.session(settings, 0)


def wait_listening(ses, deadline):
    while time.time() < deadline:
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            if isinstance(a, lt.listen_succeeded_alert):
                if getattr(a, "socket_type", None) in (None, lt.socket_type_t.tcp):
                    return a.port
            elif isinstance(a, lt.listen_failed_alert):
                emit({"event": "error", "message": "listen failed: %s" % a.message()})
                sys.exit(1)
    port = ses.listen_port()
    if port:
        return port
    emit({"event": "error", "message": "no listen socket"})
    sys.exit(1)


HASH_FAILURES = [0]


def log_alerts(ses):
    for a in ses.pop_alerts():
        if isinstance(a, lt.hash_failed_alert):
            HASH_FAILURES[0] += 1
        if isinstance(a, (lt.torrent_error_alert, lt.file_error_alert, lt.hash_failed_alert)):
            log("ALERT %s: %s" % (type(a).__name__, a.message()))
            if isinstance(a, (lt.torrent_error_alert, lt.file_error_alert)):
                emit({"event": "error", "message": a.message()})
        elif isinstance(a, (lt.peer_connect_alert, lt.peer_disconnected_alert, lt.peer_error_alert,
                            lt.incoming_connection_alert, lt.peer_ban_alert,
                            lt.tracker_reply_alert, lt.tracker_error_alert, lt.tracker_warning_alert)):
            log("%s: %s" % (type(a).__name__, a.message()))


def wait_flushed(ses, handle):
    """Wait until libtorrent has handed every written block to the OS."""
    handle.flush_cache()
    deadline = time.time() + 30
    while time.time() < deadline:
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            if isinstance(a, lt.cache_flushed_alert):
                return


def run_session(opts):
    mode = opts["mode"]
    ses = make_session(opts)
    started = time.time()
    port = wait_listening(ses, started + 10)
    emit({"event": "listening", "port": port})

    info = lt.torrent_info(opts["a"])
    params = lt.add_torrent_params()
    params.ti = info
    params.save_path = opts["b"]
    params.flags &= ~lt.torrent_flags.auto_managed
    params.flags &= ~lt.torrent_flags.paused
    handle = ses.add_torrent(params)
    if opts["upload_limit"] > 0:
        handle.set_upload_limit(opts["upload_limit"])

    # Peers are dialled once the torrent has left checking, and again while
    # the download makes no progress with no connected peer.
    connected_at = 0.0
    finished = False
    last_state = None
    last_emit = 0.0
    download_started = None
    while True:
        ses.wait_for_alert(100)
        log_alerts(ses)
        st = handle.status()
        now = time.time()
        state = str(st.state).split(".")[-1]
        checking = state in ("checking_files", "checking_resume_data")
        if download_started is None and not checking and state != "seeding":
            download_started = now
        if opts["peers"] and not checking and not st.is_seeding and st.num_peers == 0 and now - connected_at > 2:
            for host, p in opts["peers"]:
                try:
                    handle.connect_peer((host, p))
                except Exception as exc:  # a bad address is reported, not fatal
                    log("connect_peer %s:%d failed: %s" % (host, p, exc))
            connected_at = now
        if state != last_state or now - last_emit >= 1.0:
            emit({
                "event": "state",
                "state": state,
                "progress": round(st.progress, 6),
                "peers": st.num_peers,
                "downloaded": st.total_wanted_done,
                "uploaded": st.all_time_upload,
                "downloadRate": st.download_rate,
                "uploadRate": st.upload_rate,
            })
            last_state = state
            last_emit = now
        if mode == "seed" and not finished and not checking and state == "downloading":
            emit({"event": "error", "message": "seed data incomplete after checking: progress %.4f" % st.progress})
            return 1
        if not finished and (st.is_seeding or st.is_finished) and not checking:
            finished = True
            if mode in ("download", "bench"):
                wait_flushed(ses, handle)
            record = {"event": "finished", "state": state, "bytes": st.total_wanted}
            emit(record)
            if mode == "bench":
                t0 = download_started if download_started is not None else started
                seconds = now - t0
                emit({
                    "event": "bench",
                    "seconds": seconds,
                    "bytes": st.total_wanted,
                    "mbps": st.total_wanted / seconds / 1e6 if seconds > 0 else 0,
                    "hashFailures": HASH_FAILURES[0],
                })
            if mode in ("download", "bench") and not opts["keep_seeding"]:
                ses.pause()
                return 0
        if opts["timeout"] > 0 and now - started > opts["timeout"]:
            emit({"event": "error", "message": "timeout after %.1f s in state %s" % (now - started, state)})
            return 3


def main():
    opts = parse_args(sys.argv[1:])
    watch_parent()
    if opts["mode"] == "create":
        create_torrent(opts["a"], opts["b"], opts["piece_length"], opts["trackers"])
        return 0
    if opts["mode"] == "info":
        torrent_summary(opts["a"])
        return 0
    if opts["mode"] not in ("seed", "download", "bench"):
        sys.stderr.write("unknown mode %s\n" % opts["mode"])
        return 2
    return run_session(opts)


if __name__ == "__main__":
    sys.stdout.flush()
    os._exit(main() or 0)
