#!/usr/bin/env python3
"""Architecture check (CTest: Architecture.Layers). Follows the #include "..." closure of
source files and fails when a layer reaches what it must not:
- inference (src/infer: capture, detect, align, classify, pipeline, output, runtime) never
  includes a training
  header (include/microfer/train: datasets, augmentation, trainers, cross-validation,
  baselines, plots);
- the desktop app (src/gui) never reaches LibTorch (a model file's header is read through
  microfer/classify/model_info.hpp, which has no LibTorch);
- the user's tool, microfer-cli (src/cli), never reaches a file of the research tool,
  microfer-train (src/lab: its commands); it may use microfer_train (eval does).
Given the two libraries' archives (CTest passes them: check-layers.py INFER.a TRAIN.a), it also
checks the link: no symbol that microfer_infer needs is defined by microfer_train.
Prints each offending path of includes, or symbol."""
import subprocess
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)

# The layers are folders: src/infer (library microfer_infer, include/microfer/<stage>/) and
# src/train (microfer_train, include/microfer/train/).
INFERENCE = sorted(os.path.relpath(os.path.join(d, f), ROOT)
                   for d, _, files in os.walk(os.path.join(ROOT, "src", "infer"))
                   for f in files if f.endswith((".cpp", ".hpp")))
TRAINING_HEADERS = {f"microfer/train/{f}"
                    for f in os.listdir(os.path.join(ROOT, "include", "microfer", "train"))}
TORCH = ("torch/", "ATen/", "c10/", "microfer/classify/network.hpp",
         "microfer/classify/model_file.hpp", "microfer/classify/tensor_codec.hpp")


def resolve(name, here):
    for base in (os.path.join(ROOT, "include"), os.path.dirname(here)):
        path = os.path.join(base, name)
        if os.path.isfile(path):
            return path
    return None  # a system or library header: a leaf


def offences(source, forbidden, forbidden_file=lambda path: False):
    """Include chains from `source` to a header for which forbidden(name) holds, or that is
    a file of this tree for which forbidden_file(path) holds."""
    found, seen = [], set()
    stack = [(os.path.join(ROOT, source), [source])]
    while stack:
        path, chain = stack.pop()
        if path in seen:
            continue
        seen.add(path)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for name in INCLUDE.findall(text):
            nxt = resolve(name, path)
            if forbidden(name) or (nxt and forbidden_file(nxt)):
                found.append(" -> ".join(chain + [name]))
                continue
            if nxt:
                stack.append((nxt, chain + [os.path.relpath(nxt, ROOT)]))
    return found


LINKED = ", the libraries' symbols"


def symbols(archive, *flags):
    """Demangled names from `nm -C` with `flags`, without addresses and kinds."""
    out = subprocess.run(["nm", "-C", *flags, archive], check=True, capture_output=True,
                         text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and len(parts[1]) == 1:  # "ADDRESS KIND NAME"
            kind, name = parts[1], parts[2]
        elif len(parts) == 2 and parts[0] == "U":   # "U NAME"
            kind, name = parts
        else:
            continue
        names.add((kind, name))
    return names


def link_offences(infer_lib, train_lib):
    """microfer:: functions the inference library leaves undefined that the training library
    defines (kind T: its own code, not an inline or template copy)."""
    needed = {n for k, n in symbols(infer_lib, "-u") if n.startswith("microfer::")}
    defined = {n for k, n in symbols(train_lib, "--defined-only") if k == "T"}
    return sorted(needed & defined)


def main():
    problems = []
    if len(sys.argv) == 3:
        problems += [f"microfer_infer links training code: {n}"
                     for n in link_offences(sys.argv[1], sys.argv[2])]
    if not INFERENCE or not TRAINING_HEADERS:
        problems.append("src/infer or include/microfer/train is empty: update this script")
    for src in INFERENCE:
        problems += [f"inference includes training code: {c}"
                     for c in offences(src, lambda n: n in TRAINING_HEADERS)]
    gui = os.path.join(ROOT, "src", "gui")
    for name in sorted(os.listdir(gui)):
        if name.endswith((".cpp", ".hpp")):
            problems += [f"the desktop app reaches LibTorch: {c}"
                         for c in offences(os.path.join("src", "gui", name),
                                           lambda n: n.startswith(TORCH))]
    lab = os.path.join(ROOT, "src", "lab") + os.sep
    cli = os.path.join(ROOT, "src", "cli")
    for name in sorted(os.listdir(cli)):
        if name.endswith((".cpp", ".hpp")):
            problems += [f"microfer-cli reaches the research tool's commands: {c}"
                         for c in offences(os.path.join("src", "cli", name), lambda n: False,
                                           lambda p: os.path.abspath(p).startswith(lab))]
    for p in problems:
        print(p)
    print(f"check-layers: {'FAILED' if problems else 'passed'} "
          f"({len(INFERENCE)} inference sources, the desktop app's and microfer-cli's sources"
          f"{LINKED if len(sys.argv) == 3 else ''})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
