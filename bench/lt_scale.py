#!/usr/bin/python3
"""libtorrent's side of rxtorrent's scale benchmark (bench/scale.ts).

Run with Debian's /usr/bin/python3 (python3-libtorrent). Binds to 127.0.0.1
only, with DHT, LSD, UPnP, NAT-PMP and uTP off.

Modes:
  seed <list> <save_path> <resume_dir> [--resume]
      add every .torrent of <list> (one path a line) to one session, seeding
      from <save_path>; with --resume, add them from the resume files in
      <resume_dir> instead. Once all seed, save every torrent's resume data
      to <resume_dir> and exit.
  download <list> <save_path> --peer HOST:PORT [--every K] [--torrent-limit B/s]
      download every K-th torrent of <list> (default 5) from the peer, one
      session, each torrent at most B/s (default 0: no limit; libtorrent
      exempts loopback peers from its session-wide limit, not from a
      torrent's), and exit once all are complete.

Stdout, one JSON object a line:
  {"event":"seeding","torrents":N,"seconds":S,"blocksRead":N}   (seed: 16 KiB blocks read, by the check alone)
  {"event":"saved","torrents":N}                                   (seed)
  {"event":"stats","peers":N,"finished":N,"seconds":S}             (download, each second)
  {"event":"finished","torrents":N,"seconds":S,"hashFailures":N,"maxPeers":N}
  {"event":"error","message":"..."}
"""

import json
import os
import sys
import time

import libtorrent as lt

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "interop", "helpers"))
import lt_peer  # noqa: E402

STARTED = time.time()


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def make_session():
    # lt_peer's session (loopback only, DHT/LSD/UPnP/NAT-PMP/uTP off, no
    # plugins), with room for every torrent's connection and quieter alerts.
    ses = lt_peer.make_session({"port": 0, "utp": False, "pex": False})
    ses.apply_settings({
        "connections_limit": 2000,
        "active_checking": 1,
        "alert_mask": int(lt.alert_category.error | lt.alert_category.status | lt.alert_category.storage),
    })
    return ses


def read_list(path):
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def blocks_read(ses):
    ses.post_session_stats()
    deadline = time.time() + 10
    while time.time() < deadline:
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            if isinstance(a, lt.session_stats_alert):
                return a.values["disk.num_blocks_read"]
    return -1


def add_params(torrent_path, save_path, resume_dir, resume):
    if resume:
        name = os.path.basename(torrent_path) + ".resume"
        with open(os.path.join(resume_dir, name), "rb") as f:
            params = lt.read_resume_data(f.read())
    else:
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(torrent_path)
    params.save_path = save_path
    params.flags &= ~lt.torrent_flags.auto_managed
    params.flags &= ~lt.torrent_flags.paused
    return params


def seed(paths, save_path, resume_dir, resume):
    ses = make_session()
    handles = {}
    for p in paths:
        handles[p] = ses.add_torrent(add_params(p, save_path, resume_dir, resume))
    while True:
        ses.wait_for_alert(50)
        for a in ses.pop_alerts():
            if isinstance(a, (lt.torrent_error_alert, lt.file_error_alert)):
                emit({"event": "error", "message": a.message()})
                return 1
        states = [h.status().state for h in handles.values()]
        if all(s == lt.torrent_status.seeding for s in states):
            break
    emit({"event": "seeding", "torrents": len(paths), "seconds": time.time() - STARTED, "blocksRead": blocks_read(ses)})
    os.makedirs(resume_dir, exist_ok=True)
    names = {}
    for p, h in handles.items():
        names[str(h.info_hash())] = os.path.basename(p) + ".resume"
        h.save_resume_data(lt.torrent_handle.save_info_dict)
    saved = 0
    deadline = time.time() + 60
    while saved < len(paths) and time.time() < deadline:
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            if isinstance(a, lt.save_resume_data_alert):
                with open(os.path.join(resume_dir, names[str(a.handle.info_hash())]), "wb") as f:
                    f.write(lt.write_resume_data_buf(a.params))
                saved += 1
    emit({"event": "saved", "torrents": saved})
    return 0


def download(paths, save_path, peer, every, limit):
    ses = make_session()
    handles = [ses.add_torrent(add_params(p, save_path, "", False)) for p in paths[::every]]
    for h in handles:
        h.set_download_limit(limit)
    failures = 0
    max_peers = 0
    last_dial = 0.0
    last_stats = 0.0
    while True:
        ses.wait_for_alert(100)
        for a in ses.pop_alerts():
            if isinstance(a, lt.hash_failed_alert):
                failures += 1
        now = time.time()
        status = [h.status() for h in handles]
        peers = sum(s.num_peers for s in status)
        finished = sum(1 for s in status if s.is_seeding)
        max_peers = max(max_peers, peers)
        if now - last_dial > 3:
            # Torrents without the peer (not yet dialled, or refused) dial it (again).
            for h, s in zip(handles, status):
                if not s.is_seeding and s.num_peers == 0:
                    h.connect_peer(peer)
            last_dial = now
        if now - last_stats >= 1:
            emit({"event": "stats", "peers": peers, "finished": finished, "seconds": now - STARTED})
            last_stats = now
        if finished == len(handles):
            emit({"event": "finished", "torrents": finished, "seconds": now - STARTED, "hashFailures": failures, "maxPeers": max_peers})
            return 0


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    mode, paths, save_path = argv[0], read_list(argv[1]), argv[2]
    if mode == "seed":
        return seed(paths, save_path, argv[3], "--resume" in argv[4:])
    if mode == "download":
        opts = dict(zip(argv[3::2], argv[4::2]))
        host, _, port = opts["--peer"].rpartition(":")
        return download(paths, save_path, (host, int(port)), int(opts.get("--every", "5")), int(opts.get("--torrent-limit", "0")))
    sys.stderr.write("unknown mode %s\n" % mode)
    return 2


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    os._exit(code or 0)
