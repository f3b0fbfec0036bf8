#!/usr/bin/env python3
"""make-many.py - fast deterministic tree of many small files, shaped like home folders.

  make-many.py --out DIR --files N [--seed S] [--users U] [--dup-fraction F] [--pool P]
               [--max-size B] [--empty-fraction E] [--jobs J]
  make-many.py --out DIR --files N [--seed S] [...same shape options...] --churn F [--churn-seed C]

Create mode (the default): DIR must not exist or be empty. Writes exactly N regular files
under DIR/uNNNNN/... (U users, default ceil(N / 1000); each user's files in nested
directories of 50..200 files each), file sizes 0..B bytes (default 4096). A fraction E
(default 0) of the files is empty. A fraction F (default 0.30) of the
files copies one of P (default 256) pool contents, so the same bytes recur within and across
users; the other files are unique (a per-file header + a slice of a random blob). As root,
each user's files and directories belong to uid 10000+user, gid 100; about 10% of the files
are mode 0600, the rest 0644. The paths, sizes, contents, owners and modes depend only on
(N, seed and the shape options): --jobs only splits the users between processes.
(mtimes are the time of writing.) For ten million files, --max-size 48 --empty-fraction 0.3
makes a tree of empty and tiny files whose contents fit in the inode (ext4 inline_data).

Churn mode (--churn F, e.g. 0.01): DIR holds the tree made with the same N, seed and shape
options; about a fraction F of its files is changed in place: 80% of them rewritten with new
unique content (new size), 20% only touched (mtime and ctime set to now, same bytes).
A different --churn-seed picks other files (use one per week).

Prints one summary line on stdout. Uses only os.open/os.write/os.close (with dir_fd), no
subprocess per file.
"""
import argparse
import hashlib
import math
import os
import random
import sys
import time
from multiprocessing import Pool

sys.dont_write_bytecode = True

MAX_SIZE = 4096
BLOB = 1 << 20
WORDS = ("docs notes src lib build photos music projects thesis courses mail config cache "
         "assignments papers data scripts drafts archive backup old web site public shared "
         "lab homework slides misc tmp reports figures results logs book code test").split()
EXTS = ("txt md py c h java tex pdf jpg png csv json html js css log dat cfg sh ipynb").split()


def shape(args):
    users = args.users or max(1, math.ceil(args.files / 1000))
    rng = random.Random(f"{args.seed}/users")
    weights = [rng.uniform(0.5, 1.5) for _ in range(users)]
    total = sum(weights)
    counts = [int(args.files * w / total) for w in weights]
    for i in range(args.files - sum(counts)):      # largest-remainder style top-up, deterministic
        counts[i % users] += 1
    return counts


def pool_contents(args):
    rng = random.Random(f"{args.seed}/pool")
    out = [b""]                                     # one empty content in the pool
    for i in range(1, args.pool):
        out.append(rng.randbytes(rng.randint(1, args.max_size)))
    return out


def blob(args):
    return random.Random(f"{args.seed}/blob").randbytes(BLOB + MAX_SIZE)


def plan_user(args, u, count):
    """Yields ('d', reldir) and ('f', reldir, name, mode, kind, arg) for one user, in order.
    kind 'p': pool content index arg; kind 'u': unique content, arg = (size, blob offset)."""
    rng = random.Random(f"{args.seed}/user/{u}")
    home = f"u{u:05d}"
    yield ("d", home)
    dirs = [(home, 0)]
    left = count
    n = 0
    while left > 0:
        # a new directory below a random earlier one (depth <= 6), or the home itself first
        if n == 0:
            d = home
        else:
            parent, depth = dirs[rng.randrange(len(dirs))]
            if depth >= 6:
                parent, depth = home, 0
            d = f"{parent}/{rng.choice(WORDS)}{n}"
            dirs.append((d, depth + 1))
            yield ("d", d)
        k = min(left, rng.randint(50, 200))
        for i in range(k):
            name = f"{rng.choice(WORDS)}-{n}-{i}.{rng.choice(EXTS)}"
            mode = 0o600 if rng.random() < 0.10 else 0o644
            if args.empty_fraction > 0 and rng.random() < args.empty_fraction:
                yield ("f", d, name, mode, "p", 0)          # the pool's empty content
            elif rng.random() < args.dup_fraction:
                yield ("f", d, name, mode, "p", rng.randrange(args.pool))
            else:
                yield ("f", d, name, mode, "u", (rng.randint(min(32, args.max_size), args.max_size), rng.randrange(BLOB)))
        left -= k
        n += 1


def unique_content(b, tag, size, off, max_size=MAX_SIZE):
    hdr = tag.encode()
    if len(hdr) > max_size:                         # tiny files: a digest of the tag keeps them unique
        hdr = hashlib.blake2b(hdr, digest_size=8).hexdigest().encode() + b"\n"
    return hdr + b[off:off + max(0, size - len(hdr))]


_G = {}


def _init(args):
    _G["args"] = args
    _G["pool"] = pool_contents(args)
    _G["blob"] = blob(args)
    _G["root"] = os.geteuid() == 0
    os.umask(0)


def make_users(job):
    args, pool, b, root = _G["args"], _G["pool"], _G["blob"], _G["root"]
    users, counts = job
    files = dirs = nbytes = dups = 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for u in users:
        uid, gid = 10000 + u, 100
        dfd = -1
        cur = None
        for item in plan_user(args, u, counts[u]):
            if item[0] == "d":
                p = os.path.join(args.out, item[1])
                os.mkdir(p, 0o755)
                if root:
                    os.chown(p, uid, gid)
                dirs += 1
                continue
            _, d, name, mode, kind, arg = item
            if d != cur:
                if dfd >= 0:
                    os.close(dfd)
                dfd = os.open(os.path.join(args.out, d), os.O_RDONLY | os.O_DIRECTORY)
                cur = d
            if kind == "p":
                data = pool[arg]
                dups += 1
            else:
                data = unique_content(b, f"{args.seed}/{u}/{d}/{name}\n", *arg, args.max_size)
            fd = os.open(name, flags, mode, dir_fd=dfd)
            try:
                if data:
                    os.write(fd, data)
                if root:
                    os.fchown(fd, uid, gid)
            finally:
                os.close(fd)
            files += 1
            nbytes += len(data)
        if dfd >= 0:
            os.close(dfd)
    return files, dirs, nbytes, dups


def churn_users(job):
    args, b = _G["args"], _G["blob"]
    users, counts = job
    rewritten = touched = nbytes = 0
    for u in users:
        rng = random.Random(f"{args.seed}/churn/{args.churn_seed}/{u}")
        for item in plan_user(args, u, counts[u]):
            if item[0] != "f":
                continue
            if rng.random() >= args.churn:
                continue
            _, d, name, _mode, _kind, _arg = item
            path = os.path.join(args.out, d, name)
            if rng.random() < 0.8:
                data = unique_content(b, f"{args.seed}/{u}/{d}/{name}/churn{args.churn_seed}\n",
                                      rng.randint(min(32, args.max_size), args.max_size), rng.randrange(BLOB),
                                      args.max_size)
                fd = os.open(path, os.O_WRONLY | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC)
                try:
                    os.write(fd, data)
                finally:
                    os.close(fd)
                rewritten += 1
                nbytes += len(data)
            else:
                os.utime(path, follow_symlinks=False)
                touched += 1
    return rewritten, touched, nbytes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--files", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--users", type=int, default=0, help="default ceil(files / 1000)")
    ap.add_argument("--dup-fraction", type=float, default=0.30)
    ap.add_argument("--pool", type=int, default=256)
    ap.add_argument("--max-size", type=int, default=MAX_SIZE, help="largest file in bytes (default 4096)")
    ap.add_argument("--empty-fraction", type=float, default=0.0)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--churn", type=float, default=None)
    ap.add_argument("--churn-seed", type=int, default=2)
    args = ap.parse_args()
    if not 1 <= args.max_size <= MAX_SIZE:
        ap.error(f"--max-size must be 1..{MAX_SIZE}")
    if not 0 <= args.empty_fraction <= 1:
        ap.error("--empty-fraction must be 0..1")
    if args.files < 1 or args.pool < 1 or not 0 <= args.dup_fraction <= 1:
        ap.error("--files and --pool must be >= 1, --dup-fraction in 0..1")
    args.out = os.path.abspath(args.out)
    counts = shape(args)
    users = len(counts)
    jobs = max(1, min(args.jobs, users))
    # interleave users across jobs so that each job gets a similar share
    work = [(list(range(j, users, jobs)), counts) for j in range(jobs)]
    t0 = time.monotonic()
    if args.churn is None:
        if os.path.exists(args.out) and os.listdir(args.out):
            ap.error(f"{args.out} exists and is not empty")
        os.makedirs(args.out, exist_ok=True)
        fn = make_users
    else:
        if not os.path.isdir(os.path.join(args.out, "u00000")):
            ap.error(f"{args.out} does not hold a tree made by make-many.py")
        fn = churn_users
    if jobs == 1:
        _init(args)
        results = [fn(w) for w in work]
    else:
        with Pool(jobs, initializer=_init, initargs=(args,)) as p:
            results = p.map(fn, work)
    dt = time.monotonic() - t0
    if args.churn is None:
        files, dirs, nbytes, dups = (sum(r[i] for r in results) for i in range(4))
        print(f"make-many: {files} files, {dirs} dirs, {users} users, {nbytes} bytes, "
              f"{dups} pool copies ({args.pool} pool contents), seed {args.seed}, "
              f"{dt:.1f} s ({files / dt:.0f} files/s, {jobs} jobs)")
    else:
        rewritten, touched, nbytes = (sum(r[i] for r in results) for i in range(3))
        print(f"make-many churn {args.churn_seed}: {rewritten} files rewritten ({nbytes} bytes), "
              f"{touched} touched, of {args.files}; {dt:.1f} s")


if __name__ == "__main__":
    main()
