"""python -m minigrad.exercises [new DIR [--solved] [--force] | check DIR [NAME ...]]"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from minigrad.exercises import EXERCISES, check, write_workspace


def main(argv: list[str] | None = None) -> int:
    """The exercises' command line; exit 0 only when every graded exercise passes."""
    p = argparse.ArgumentParser(prog="python -m minigrad.exercises",
                                description="Graded exercises: write minigrad's textbook "
                                            "pieces yourself.")
    sub = p.add_subparsers(dest="command")
    new = sub.add_parser("new", help="write a workspace of stubs (or, --solved, the answers)")
    new.add_argument("dir")
    new.add_argument("--solved", action="store_true",
                     help="the answer key: the library's own textbook code (for teachers)")
    new.add_argument("--force", action="store_true", help="overwrite files already there")
    grade = sub.add_parser("check", help="grade a workspace: PASS name / FAIL name: why")
    grade.add_argument("dir")
    grade.add_argument("names", nargs="*", metavar="NAME", help="only these exercises")
    sub.add_parser("list", help="the exercises, in the lecture's order (the default)")
    args = p.parse_args(argv)
    if args.command in (None, "list"):
        for i, ex in enumerate(EXERCISES, 1):
            print(f"{i:2d}. {ex.name:<18} {ex.title} (about {ex.minutes} min; "
                  f"{ex.lecture.split(':')[0]})")
        print("\npython -m minigrad.exercises new DIR      writes the stubs\n"
              "python -m minigrad.exercises check DIR    grades them")
        return 0
    if args.command == "new":
        written = write_workspace(args.dir, solved=args.solved, force=args.force)
        kept = len(EXERCISES) - len(written)
        print(f"wrote {len(written)} {'answers' if args.solved else 'exercises'} into "
              f"{args.dir}" + (f" (kept {kept} files already there; --force overwrites)"
                               if kept else ""))
        return 0
    if not Path(args.dir).is_dir():
        p.error(f"{args.dir} is not a directory (python -m minigrad.exercises new {args.dir} "
                "writes the exercises there)")
    try:
        results = check(args.dir, args.names or None)
    except ValueError as e:
        p.error(str(e))
    return 0 if results and all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
