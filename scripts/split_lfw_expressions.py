#!/usr/bin/env python3
"""Writes the fixed person-level split of lfw-expressions (train / val / test).

A person is the file name without its trailing number ("George_W_Bush_0012.jpg" ->
"George_W_Bush", "Dwarakish_14.jpg" -> "Dwarakish"); a name without one is its own person.
Every image of a person lands in the same part, so no face is seen in training and again in
validation or test. Persons are shuffled with a fixed seed and dealt, one at a time, to the
part that is furthest below its target share (70 / 15 / 15 %) for the person's rarest
expression, which keeps the rare classes (fear, angry, disgust, sad, surprise) in every part.

The list is committed (data/lfw-expressions-split.csv); the images are not. Run again only to
check that it reproduces:  python3 scripts/split_lfw_expressions.py --check
"""
import argparse
import collections
import os
import random
import re
import sys

SHARES = {"train": 0.70, "val": 0.15, "test": 0.15}
SEED = 20261201


def person_of(file_name):
    stem = os.path.splitext(file_name)[0]
    m = re.match(r"^(.*)_[0-9]+$", stem)
    return m.group(1) if m else stem


def make_split(root):
    images = collections.defaultdict(collections.Counter)  # person -> class -> count
    for cls in sorted(os.listdir(root)):
        d = os.path.join(root, cls)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            images[person_of(f)][cls] += 1
    totals = collections.Counter()
    for c in images.values():
        totals.update(c)
    persons = sorted(images)
    random.Random(SEED).shuffle(persons)
    # Rarest class first: the persons that carry rare labels are dealt while every part
    # still has room for them.
    persons.sort(key=lambda p: min(totals[c] for c in images[p]))
    got = {part: collections.Counter() for part in SHARES}
    out = {}
    for p in persons:
        rare = min(images[p], key=lambda c: (totals[c], c))

        def deficit(part):
            return SHARES[part] - got[part][rare] / totals[rare]

        part = max(SHARES, key=lambda q: (deficit(q), SHARES[q]))
        out[p] = part
        got[part].update(images[p])
    return out, got, totals


def render(split, got, totals):
    lines = ["# lfw-expressions person-level split: person,part (made by "
             "scripts/split_lfw_expressions.py, seed %d)" % SEED]
    for part in SHARES:
        counts = " ".join("%s=%d" % (c, got[part][c]) for c in sorted(totals))
        lines.append("# %s: %d images (%s)" % (part, sum(got[part].values()), counts))
    lines.append("person,part")
    lines += ["%s,%s" % (p, split[p]) for p in sorted(split)]
    return "\n".join(lines) + "\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(here, "..", "..", "shared", "data",
                                                   "lfw-expressions"))
    ap.add_argument("--out", default=os.path.join(here, "..", "data",
                                                  "lfw-expressions-split.csv"))
    ap.add_argument("--check", action="store_true",
                    help="compare with the committed list instead of writing it")
    args = ap.parse_args()
    if not os.path.isdir(args.data):
        print("split: %s not found (lfw-expressions lives in ../shared)" % args.data)
        return 2
    return write_or_check(render(*make_split(args.data)), args.out, args.check)


def write_or_check(text, out, check):
    """Writes a split list (printing its '# ' summary lines), or with `check` compares it with
    the committed one; returns the exit code. Shared with split_ckplus.py."""
    if check:
        with open(out) as f:
            same = f.read() == text
        print("split: %s %s" % (out, "reproduces" if same else "DIFFERS"))
        return 0 if same else 1
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(text)
    print("".join(l[2:] + "\n" for l in text.splitlines() if l.startswith("# ")), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
