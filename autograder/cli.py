"""The instructor's command ``backproplab``: small steps over an nbgrader course directory."""
import argparse
import sys
from pathlib import Path

import solutions

from . import course as steps


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="backproplab", description=__doc__)
    parser.add_argument("--course", default=".", help="nbgrader course directory (default: .)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in [("build", "build source notebooks from templates/ and the solutions"),
                       ("release", "nbgrader generate_assignment: write release/")]:
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("assignments", nargs="*", help="default: all four")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    course = Path(args.course).resolve()
    assignments = args.assignments or list(solutions.ASSIGNMENTS)
    try:
        if args.command == "build":
            for path in steps.build(course, assignments):
                print(f"built {path.relative_to(course)}")
        elif args.command == "release":
            for path in steps.release(course, assignments):
                print(f"released {path.relative_to(course)}")
    except steps.CourseError as err:
        print(f"backproplab {args.command}: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
