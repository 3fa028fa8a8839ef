#!/usr/bin/python3
"""libtorrent roles for the magnet, metadata (BEP 9) and PEX (BEP 11) interop tests.

Run with Debian's /usr/bin/python3 (python3-libtorrent). The session binds to
127.0.0.1 only, with DHT, LSD, UPnP, NAT-PMP and uTP off, plaintext allowed,
and libtorrent's default plugins (ut_metadata, ut_pex, smart_ban) on.

Modes:
  peer <magnet-or-torrent> <save_path>   add a torrent by magnet URI or .torrent
                                         file, dial --peer, report metadata,
                                         progress and peers; exit 0 when the
                                         data is complete (or, with
                                         --metadata-only, when the metadata is in)
  create <path> <out.torrent>            write a v1 .torrent (--piece-length,
                                         --private)

Options:
  --port N              listen port (0 = any, the default)
  --peer HOST:PORT      peer to dial (repeatable); re-dialled while none is connected
  --upload-limit B/s    per-torrent upload limit (0 = none)
  --download-limit B/s  per-torrent download limit (0 = none)
  --timeout S           give up (exit 3) after S seconds (0 = never)
  --metadata-only       exit 0 as soon as the metadata has been received
  --save-torrent FILE   write the received metadata as a .torrent
  --keep-running        do not exit when the data is complete
  --piece-length BYTES  create mode: piece length
  --private             create mode: set the private flag

Stdout carries one JSON object per line:
  {"event":"listening","port":N}
  {"event":"metadata","infoHash":"<hex>","name":"...","totalSize":N}
  {"event":"state","state":"...","progress":P,"peers":N,"uploaded":N,"downloaded":N}
  {"event":"peers","t":S,"peers":[{"address":"ip:port","sources":[...],"connected":B,
                             "uploaded":N,"downloaded":N,"client":"..."}]}
      ("connected": past the BitTorrent handshake; sent when the set of
      peers, their sources or their connected flags change)
  {"event":"finished","bytes":N}
  {"event":"error","message":"..."}
Diagnostics go to stderr. The process exits when its parent dies or its
stdin reaches EOF.
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
    sys.stderr.write("[lt_magnet %d] %s\n" % (os.getpid(), msg))
    sys.stderr.flush()


FLAGS = ("--metadata-only", "--keep-running", "--private")


def parse_args(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        sys.exit(2)
    opts = {
        "mode": argv[0], "a": argv[1], "b": argv[2], "port": 0, "peers": [],
        "upload_limit": 0, "download_limit": 0, "timeout": 0.0, "save_torrent": None,
        "metadata_only": False, "keep_running": False, "private": False, "piece_length": 0,
    }
    rest = argv[3:]
    i = 0
    while i < len(rest):
        flag = rest[i]
        if flag in FLAGS:
            opts[flag[2:].replace("-", "_")] = True
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
        elif flag == "--download-limit":
            opts["download_limit"] = int(value)
        elif flag == "--timeout":
            opts["timeout"] = float(value)
        elif flag == "--save-torrent":
            opts["save_torrent"] = value
        elif flag == "--piece-length":
            opts["piece_length"] = int(value)
        else:
            sys.stderr.write("unknown option %s\n" % flag)
            sys.exit(2)
        i += 2
    return opts


def watch_parent():
    """Exit when the parent process goes away or closes our stdin."""
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
        mode = os.fstat(0).st_mode
        watch = stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
    except OSError:
        watch = False
    if watch:
        threading.Thread(target=read_stdin, daemon=True).start()


def create_torrent(path, out, piece_length, private):
    fs = lt.file_storage()
    lt.add_files(fs, path)
    ct = lt.create_torrent(fs, piece_length, flags=lt.create_torrent.v1_only)
    ct.set_creator("libtorrent %s (rxtorrent interop)" % lt.__version__)
    if private:
        ct.set_priv(True)
    lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(path)))
    with open(out, "wb") as f:
        f.write(lt.bencode(ct.generate()))
    emit({"event": "created", "path": out})


def make_session(port):
    return lt.session({
        "listen_interfaces": "127.0.0.1:%d" % port,
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "dht_bootstrap_nodes": "",
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "allow_multiple_connections_per_ip": True,
        "out_enc_policy": int(lt.enc_policy.pe_disabled),
        "in_enc_policy": int(lt.enc_policy.pe_enabled),
        "allowed_enc_level": 3,
        "active_downloads": -1,
        "active_seeds": -1,
        "active_limit": -1,
        "alert_mask": int(lt.alert_category.error | lt.alert_category.status
                          | lt.alert_category.storage | lt.alert_category.connect | lt.alert_category.peer),
        "user_agent": "rxtorrent-interop/libtorrent-%s" % lt.__version__,
    })


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


SOURCE_NAMES = (("tracker", 0x1), ("dht", 0x2), ("pex", 0x4), ("lsd", 0x8), ("resume", 0x10), ("incoming", 0x20))


def peer_record(p):
    src = int(p.source)
    return {
        "address": "%s:%d" % (p.ip[0], p.ip[1]),
        "sources": [name for name, bit in SOURCE_NAMES if src & bit],
        "connected": not (int(p.flags) & (int(lt.peer_info.connecting) | int(lt.peer_info.handshake))),
        "uploaded": p.total_upload,
        "downloaded": p.total_download,
        "client": p.client if isinstance(p.client, str) else p.client.decode("utf-8", "replace"),
    }


def save_torrent(handle, path):
    ti = handle.torrent_file()
    info = bytes(ti.info_section())
    with open(path, "wb") as f:
        f.write(b"d4:info" + info + b"e")


def wait_flushed(ses, handle):
    """Wait until libtorrent has handed every written block to the OS."""
    handle.flush_cache()
    deadline = time.time() + 30
    while time.time() < deadline:
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            if isinstance(a, lt.cache_flushed_alert):
                return


def run_peer(opts):
    ses = make_session(opts["port"])
    started = time.time()
    emit({"event": "listening", "port": wait_listening(ses, started + 10)})
    source = opts["a"]
    if source.startswith("magnet:"):
        params = lt.parse_magnet_uri(source)
    else:
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(source)
    params.save_path = opts["b"]
    params.flags &= ~lt.torrent_flags.auto_managed
    params.flags &= ~lt.torrent_flags.paused
    handle = ses.add_torrent(params)
    if opts["upload_limit"] > 0:
        handle.set_upload_limit(opts["upload_limit"])
    if opts["download_limit"] > 0:
        handle.set_download_limit(opts["download_limit"])

    had_metadata = False
    finished = False
    dialled_at = 0.0
    last_emit = 0.0
    last_peers = None
    while True:
        ses.wait_for_alert(100)
        for a in ses.pop_alerts():
            if isinstance(a, (lt.torrent_error_alert, lt.file_error_alert, lt.metadata_failed_alert)):
                log("ALERT %s: %s" % (type(a).__name__, a.message()))
                if not isinstance(a, lt.metadata_failed_alert):
                    emit({"event": "error", "message": a.message()})
            elif isinstance(a, (lt.peer_connect_alert, lt.peer_disconnected_alert, lt.peer_error_alert,
                                lt.incoming_connection_alert, lt.peer_ban_alert, lt.hash_failed_alert)):
                log("%s: %s" % (type(a).__name__, a.message()))
        st = handle.status()
        now = time.time()
        state = str(st.state).split(".")[-1]
        checking = state in ("checking_files", "checking_resume_data")
        if not had_metadata and st.has_metadata:
            had_metadata = True
            ti = handle.torrent_file()
            emit({"event": "metadata", "infoHash": str(st.info_hashes.v1), "name": ti.name(),
                  "totalSize": ti.total_size()})
            if opts["save_torrent"]:
                save_torrent(handle, opts["save_torrent"])
            if opts["metadata_only"]:
                return 0
        if opts["peers"] and not checking and st.num_peers == 0 and now - dialled_at > 2:
            for host, port in opts["peers"]:
                try:
                    handle.connect_peer((host, port))
                except Exception as exc:
                    log("connect_peer %s:%d failed: %s" % (host, port, exc))
            dialled_at = now
        peers = [peer_record(p) for p in handle.get_peer_info()]
        shape = sorted((p["address"], tuple(p["sources"]), p["connected"]) for p in peers)
        if shape != last_peers:
            emit({"event": "peers", "t": round(now - started, 2), "peers": peers})
            last_peers = shape
        if now - last_emit >= 1.0:
            emit({"event": "state", "state": state, "progress": round(st.progress, 6), "peers": st.num_peers,
                  "uploaded": st.all_time_upload, "downloaded": st.total_wanted_done})
            last_emit = now
        if had_metadata and not finished and not checking and state in ("finished", "seeding") \
                and st.total_wanted_done >= st.total_wanted:
            finished = True
            emit({"event": "finished", "state": state, "bytes": st.total_wanted})
            if not opts["keep_running"]:
                wait_flushed(ses, handle)
                ses.pause()
                return 0
        if opts["timeout"] > 0 and now - started > opts["timeout"]:
            emit({"event": "error", "message": "timeout after %.1f s in state %s (metadata: %s)"
                  % (now - started, state, had_metadata)})
            return 3


def main():
    opts = parse_args(sys.argv[1:])
    watch_parent()
    if opts["mode"] == "create":
        create_torrent(opts["a"], opts["b"], opts["piece_length"], opts["private"])
        return 0
    if opts["mode"] == "peer":
        return run_peer(opts)
    sys.stderr.write("unknown mode %s\n" % opts["mode"])
    return 2


if __name__ == "__main__":
    sys.stdout.flush()
    os._exit(main() or 0)
