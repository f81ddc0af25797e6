#!/usr/bin/env python3
"""Labels a folder or a manifest on a Dask cluster, then merges the parts into one results
folder (README "Millions of images").

Each Dask task runs `microfer-cli label INPUT --shard K/N --out OUT/part-K` (records only
unless --images; threads per task: --threads), so the rows are the CLI's own, and a re-run
continues where it stopped (--resume); then `microfer-cli merge OUT/all OUT/part-*`.

  scripts/dask-label.py FOLDER_OR_LIST OUT [--scheduler tcp://HOST:8786 | --workers N]
                        [--parts N] [--threads T] [--images] [-- label options]

Without --scheduler a LocalCluster of --workers processes (default 2) is started here. The
workers must see the inputs and OUT at the same paths (a shared file system) and have
microfer-cli ($MICROFER_CLI, else on PATH, else this tree's build).
"""
import argparse
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def find_cli():
    cli = os.environ.get("MICROFER_CLI") or shutil.which("microfer-cli")
    return cli or os.path.join(HERE, "..", "build", "src", "microfer-cli")


def label_part(cli, source, is_list, k, n, out, threads, images, extra):
    """One Dask task: part k of n of the inputs into out/part-k. Returns (k, exit code, stderr)."""
    cmd = [cli, "label"] + (["--files-from", source] if is_list else [source])
    cmd += ["--shard", "%d/%d" % (k, n), "--threads", str(threads), "--resume", "--quiet",
            "--out", os.path.join(out, "part-%d" % k)]
    if not images:
        cmd.append("--no-images")
    done = subprocess.run(cmd + extra, capture_output=True, text=True)
    return k, done.returncode, done.stderr


def main(argv):
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("source", help="a folder (walked by the CLI) or a list of paths, one a line")
    ap.add_argument("out")
    ap.add_argument("--scheduler", help="address of a running Dask scheduler")
    ap.add_argument("--workers", type=int, default=2, help="LocalCluster processes (default 2)")
    ap.add_argument("--parts", type=int, default=0, help="tasks (default: 4 per worker)")
    ap.add_argument("--threads", type=int, default=1, help="threads per task (default 1)")
    ap.add_argument("--images", action="store_true", help="also write the labelled copies")
    args = ap.parse_args(argv)
    from dask.distributed import Client, LocalCluster  # Debian: python3-distributed

    cli = os.path.abspath(find_cli())
    source = os.path.abspath(args.source)
    out = os.path.abspath(args.out)
    is_list = not os.path.isdir(source)
    cluster = None
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        workers = max(1, len(client.scheduler_info()["workers"]))
        n = args.parts or 4 * workers
        futures = [client.submit(label_part, cli, source, is_list, k, n, out, args.threads,
                                 args.images, extra, pure=False) for k in range(1, n + 1)]
        worst = 0
        for k, code, err in client.gather(futures):
            if code != 0:
                sys.stderr.write("part %d/%d: exit %d\n%s" % (k, n, code, err))
            worst = max(worst, code)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    parts = [os.path.join(out, "part-%d" % k) for k in range(1, n + 1)]
    merged = subprocess.run([cli, "merge", os.path.join(out, "all")] + parts)
    return worst or merged.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
