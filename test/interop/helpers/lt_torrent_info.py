"""Reads .torrent files with libtorrent's torrent_info and prints one JSON
line per file: whether libtorrent accepts it, and if so its v1 info-hash,
name, files (path as libtorrent lays it out, size, flags, symlink target),
piece count and private flag. The oracle of the metainfo differential test.

usage: lt_torrent_info.py FILE...
"""
import json
import sys

import libtorrent as lt


def describe(path):
    try:
        ti = lt.torrent_info(path)
    except Exception as e:  # libtorrent raises RuntimeError with its message
        return {"file": path, "ok": False, "error": str(e)}
    fs = ti.files()
    files = []
    for i in range(fs.num_files()):
        flags = int(fs.file_flags(i))
        entry = {"path": fs.file_path(i), "size": fs.file_size(i), "flags": flags}
        if flags & 8:
            entry["symlink"] = fs.symlink(i)
        files.append(entry)
    return {
        "file": path,
        "ok": True,
        "infoHash": str(ti.info_hashes().v1),
        "hasV2": ti.info_hashes().has_v2(),
        "name": ti.name(),
        "files": files,
        "numPieces": ti.num_pieces(),
        "private": ti.priv(),
    }


for p in sys.argv[1:]:
    print(json.dumps(describe(p)), flush=True)
