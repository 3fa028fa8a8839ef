/** Help texts, one per command, shown by `--help` and after a usage error. */

export const MAIN_USAGE = `Usage: rxtorrent <command> [options]

Commands:
  create <path> -o <file.torrent>     make a .torrent from a file or folder
  info <file.torrent|magnet>          show what a torrent or magnet link holds
  download <file.torrent|magnet>...   download from peers into --out <dir>
  seed <file.torrent>... --data <dir> verify data and serve it to peers
  demo                                run a local swarm demonstration
  tracker                             run an HTTP and UDP BitTorrent tracker
  scrape <file.torrent|magnet>        ask its trackers for seeders and leechers
  stream <file.torrent|magnet>        serve a file over HTTP while it downloads

Options:
  -h, --help      show help (also: rxtorrent <command> --help)
  --version       print the version

A <file.torrent> may also be an http(s):// URL (fetched, at most 10 MiB).
With --json, errors too are one {"type":"error",...} line on stdout.

Exit codes: 0 ok, 1 runtime failure (no peer could complete, disk error, a
port in use), 2 usage error or bad torrent input, 130/143 stopped by
SIGINT/SIGTERM before the download completed.
`

export const CREATE_USAGE = `Usage: rxtorrent create <path> -o <file.torrent> [options]

Make a v1 .torrent from a file or a folder and print its info-hash.

Options:
  -o, --output FILE       where to write the .torrent (required)
  --announce URL          a tracker; repeat for more (one tier each)
  --web-seed URL          a BEP 19 web seed; repeat for more
  --piece-length BYTES    piece size, a power of two from 16384 (default: by size)
  --private               set the BEP 27 private flag
  --comment TEXT          a free-form comment
`

export const INFO_USAGE = `Usage: rxtorrent info <file.torrent|magnet> [--json] [--scrape]
       rxtorrent info <magnet> --fetch [--peer HOST:PORT]... [-o FILE.torrent] [--timeout S]

Show a torrent's name, info-hash, size, pieces, files, trackers, web seeds and
private flag; for a magnet link, its info-hash, name, trackers, web seeds and
peers.

Options:
  --json    print one JSON object instead of text
  --scrape  also ask each tracker for seeders and leechers (as \`scrape\`);
            then exits 1 when no tracker answered
  --fetch   fetch a magnet link's metadata from its peers (x.pe, --peer) and
            trackers (BEP 9) and show the torrent it describes
  -o FILE   with --fetch: also save it as a .torrent file
  --timeout give up fetching after S seconds (default 60; exit 1)
`

export const SCRAPE_USAGE = `Usage: rxtorrent scrape <file.torrent|magnet> [--json] [--timeout S]

Ask every tracker of a torrent or magnet link how many seeders, leechers and
completed downloads it knows (HTTP trackers by the BEP 48 scrape URL, udp://
trackers by a BEP 15 scrape). Each tracker's error is shown on its line.
Exits 0 when at least one tracker answered, 1 otherwise.

Options:
  --json        print one JSON object instead of text
  --timeout S   give each tracker S seconds (1-600, default 15)
`

export const DOWNLOAD_USAGE = `Usage: rxtorrent download <file.torrent|URL|magnet> --out <dir> [options]
       rxtorrent download <torrent|URL|magnet> <torrent|URL|magnet>... --out <dir> [options]

Download into <dir> (a single-file torrent becomes <dir>/<name>, a multi-file
one <dir>/<name>/...), re-checking data already there. Exits 0 once every
piece is verified on disk. A .torrent may be given by http(s):// URL (at
most 10 MiB, as a file).

Several torrents and magnets run side by side in one session on one --port
(any free port without it), each saved under <dir>, with one progress line
each and a total line; every flag applies to each (but --only). Exit 0 once
every torrent is complete, 1 if any cannot finish (each named on stderr).
Resume data is kept in --state DIR (default $XDG_STATE_HOME/rxtorrent,
else ~/.local/state/rxtorrent), one torrent or several, so a restart whose
files are unchanged skips the check (one magnet link keeps it only with
--state, which runs it in a session).

Options:
  --out DIR           save directory (required)
  --peer HOST:PORT    a peer to connect to ([v6]:port for IPv6); repeat for more
  --port N            also accept incoming peers on port N (0: any free port)
  --host ADDR         address to listen on (default 0.0.0.0)
  --only SPEC         only these files: an index, a range (2-4) or a glob on the
                      path (*.mkv, extras/**); repeatable; shared pieces are fetched
  --download-limit R  at most R bytes/s in (e.g. 500k, 2M); --upload-limit R out
  --seed              keep seeding after completion until SIGINT/SIGTERM (then exit 0)
  --seed-ratio R      with --seed (implied): stop seeding once uploaded >= R x the
                      size we hold (aria2's --seed-ratio; 0: no ratio limit)
  --seed-time MIN     with --seed (implied): stop seeding after MIN minutes
                      (fractions allowed; 0: do not seed); with both, whichever
                      comes first; then exit 0
  --no-direct-io      write through the page cache (default on Linux: verified
                      pieces are written around it, O_DIRECT, where the file
                      system allows)
  --state DIR         resume data here (default $XDG_STATE_HOME/rxtorrent)
  --no-state          keep no resume data
  --quiet             print nothing but errors
  --json              one JSON object per line on stdout: progress, warning, done, error
                      (several torrents: each record has the torrent's infoHash,
                      and a totals record comes at most once a second)

Progress: a redrawn line on a terminal, a plain line every 5 s otherwise;
rates are over the last second.
Exit codes: 0 complete, 1 runtime failure, 2 usage error or bad torrent
(--out naming a file included);
SIGINT/SIGTERM before completion stop cleanly (files closed) with 130/143.
A magnet link's metadata is fetched first from its peers (x.pe, --peer) and
trackers (tr), by BEP 9; exit 1 when no peer can give it.
`

export const SEED_USAGE = `Usage: rxtorrent seed <file.torrent> --data <dir> [options]
       rxtorrent seed <file.torrent>... [--torrents <folder>] --data <dir> [options]

Check that the port is free, verify the data in <dir> (laid out as by
download), print how many pieces verified, and serve the verified pieces
until SIGINT/SIGTERM or a seeding limit (then exit 0). If some pieces are
missing or bad, a warning says so and the rest is served. The progress line
shows peers, upload rate, bytes uploaded and the share ratio.

Several torrents, or every *.torrent in --torrents <folder>, are seeded in
one session on one port, each from its data under <dir>, with one line each
and a total line. A torrent whose file or folder is not in <dir>, or where
no piece verifies, is reported and skipped (the others are seeded); exit 1
when none can be seeded. Resume data is kept as for download (--state).

Options:
  --data DIR         the directory holding the torrent's data (required)
  --torrents DIR     seed every *.torrent in DIR too (not its subfolders)
  --state DIR        resume data here (default $XDG_STATE_HOME/rxtorrent, else
                     ~/.local/state/rxtorrent); a restart whose files are
                     unchanged skips the check
  --no-state         keep no resume data
  --port N           port to listen on (default 6881; 0: any free port)
  --host ADDR        address to listen on (default 0.0.0.0)
  --upload-limit R   at most R bytes/s out (e.g. 500k, 2M)
  --upload-slots N   peers served at once, besides one optimistic unchoke
                     (default 8, as libtorrent)
  --seed-ratio R     stop once uploaded >= R x the torrent's size (0: no limit)
  --seed-time MIN    stop after MIN minutes (fractions allowed); with
                     --seed-ratio, whichever comes first
  --superseed        BEP 16: look empty and offer each peer one piece at a time
                     (meant for a swarm: a lone leecher gets only its first piece)
  --quiet            print nothing but errors
  --json             one JSON object per line on stdout: listening, progress,
                     warning, done, error (several torrents: with infoHash,
                     and totals)

Exit codes: 0 stopped by SIGINT/SIGTERM or a limit; 1 port in use (found
before the data is read), no piece of the data verifies, or another runtime
failure; 2 usage error, bad torrent, or a --data folder that does not exist.
`

export const DEMO_USAGE = `Usage: rxtorrent demo

Run a small swarm on this machine's loopback interface and show it working.
`

export const TRACKER_USAGE = `Usage: rxtorrent tracker [options]

Run a BitTorrent tracker (HTTP /announce and /scrape, UDP BEP 15), print its
announce URLs, and serve until SIGINT/SIGTERM (then exit 0).

Options:
  --http-port N     HTTP port (default 6969; 0: any free port; off: no HTTP)
  --udp-port N      UDP port (default 6969; 0: any free port; off: no UDP)
  --host ADDR       address to listen on (default 0.0.0.0)
  --interval S      announce interval told to clients, in seconds (default 1800)
  --allow HEX       track only this info-hash; repeat for more
`

export const STREAM_USAGE = `Usage: rxtorrent stream <file.torrent|magnet> [options]

Download in playback order and serve one file over HTTP at / (GET and HEAD,
Range requests) while it downloads; prints "stream: http://HOST:PORT/" once
listening. A request for bytes not yet verified waits for them. Keeps seeding
until SIGINT/SIGTERM (then exit 0).

Options:
  --file N            index of the file to serve (default: the largest)
  --http-port N       HTTP port (default 0: any free port)
  --http-host ADDR    HTTP address (default 127.0.0.1)
  --out DIR           save directory (default: a temporary directory, removed on exit)
  --peer HOST:PORT    a peer to connect to ([v6]:port for IPv6); repeat for more
  --port N            also accept incoming peers on port N (0: any free port)
  --host ADDR         address to listen on for peers (default 0.0.0.0)
  --download-limit R  at most R bytes/s in (e.g. 500k, 2M); --upload-limit R out
  --no-direct-io      write through the page cache (see rxtorrent download --help)
  --quiet             print nothing but the URL and errors
  --json              one JSON object per line on stdout: stream, progress, warning, error

Exit codes: 0 stopped by SIGINT/SIGTERM, 1 runtime failure, 2 usage error,
bad torrent or a --file the torrent lacks.
`

/** Help text of a command, or undefined for an unknown one. */
export function usageOf (command: string): string | undefined {
  return ({ create: CREATE_USAGE, info: INFO_USAGE, download: DOWNLOAD_USAGE, seed: SEED_USAGE, demo: DEMO_USAGE, tracker: TRACKER_USAGE, scrape: SCRAPE_USAGE, stream: STREAM_USAGE } as Record<string, string>)[command]
}
