#!/usr/bin/env python3
"""The Dask route of README "Millions of images" at small scale: a dask.distributed
LocalCluster with 2 worker processes labels a folder (scripts/dask-label.py) and gives exactly
the rows of one `microfer-cli label` run. Usage: test_dask.py MICROFER_CLI SOURCE_DIR"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

CLI, SRC = sys.argv[1], sys.argv[2]


class DaskRoute(unittest.TestCase):
    def test_local_cluster_gives_the_rows_of_one_run(self):
        with tempfile.TemporaryDirectory() as tmp:
            folder = os.path.join(tmp, "in, a folder")
            os.makedirs(os.path.join(folder, "nested"))
            for name in ("a.png", "b.png", "nested/c.png", "nested/d.png", "e.png"):
                shutil.copy(os.path.join(SRC, "assets", "astronaut.png"), os.path.join(folder, name))
            options = ["--detector", "haar", "--tta", "off"]
            whole = os.path.join(tmp, "whole")
            subprocess.run([CLI, "label", folder, "--no-images", "--quiet", "--out", whole]
                           + options, check=True)
            out = os.path.join(tmp, "dask")
            env = dict(os.environ, MICROFER_CLI=CLI)
            done = subprocess.run([sys.executable, os.path.join(SRC, "scripts", "dask-label.py"),
                                   folder, out, "--workers", "2", "--parts", "3", "--"] + options,
                                  env=env, capture_output=True, text=True)
            self.assertEqual(done.returncode, 0, done.stderr)

            def rows(path):
                with open(path, encoding="utf-8") as f:
                    return sorted(f.read().splitlines())

            self.assertEqual(rows(os.path.join(out, "all", "results.csv")),
                             rows(os.path.join(whole, "results.csv")))
            self.assertEqual(len(rows(os.path.join(out, "all", "results.jsonl"))), 5)
            records = [f for f in os.listdir(os.path.join(out, "all", "runs")) if f.endswith(".json")]
            self.assertEqual(len(records), 3, "one run record per task")


if __name__ == "__main__":
    try:
        import distributed  # noqa: F401
    except ImportError:
        print("SKIP: dask.distributed is not installed (Debian: python3-distributed)")
        sys.exit(77)
    unittest.main(argv=sys.argv[:1], verbosity=2)
