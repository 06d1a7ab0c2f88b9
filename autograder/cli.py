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
    grade = sub.add_parser("grade", help="grade every submitted/<student>/<assignment>/")
    grade.add_argument("assignment")
    grade.add_argument("--jobs", type=int, default=2, help="students graded at once (default 2)")
    grade.add_argument("--json", help="write the report to this file")
    grade.add_argument("--db", help="gradebook database URL (default: the course's SQLite file)")
    grade.add_argument("--cell-seconds", type=float, default=10.0)
    grade.add_argument("--call-seconds", type=float, default=10.0)
    grade.add_argument("--memory-mb", type=int, default=3072)
    grade.add_argument("--cpu-seconds", type=int, default=300)
    grade.add_argument("--student-seconds", type=float, default=180.0,
                       help="wall-clock budget per student over every cell, call and restart "
                            "(default 180)")
    grade.add_argument("--no-containment", action="store_true",
                       help="run student code even where the machine offers no operating-system "
                            "containment (only for code you trust; the report records it)")
    export = sub.add_parser("export", help="grades as CSV: nbgrader's export plus per-function columns")
    export.add_argument("--to", default="grades.csv")
    stats = sub.add_parser("stats", help="what the class got wrong: a table and a plot")
    stats.add_argument("assignment")
    stats.add_argument("--plot", help="where to save the plot (default stats/<assignment>.png)")
    gradescope = sub.add_parser("gradescope", help="a Gradescope autograder zip")
    gradescope.add_argument("assignment")
    gradescope.add_argument("--to", help="the zip to write (default gradescope-<assignment>.zip)")
    sub.add_parser("doctor", help="what containment this machine offers for student code")
    demo = sub.add_parser("demo", help="a whole grading round in a fresh course directory")
    demo.add_argument("--assignment", default="hw2_layers")
    demo.add_argument("--jobs", type=int, default=2)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    course = Path(args.course).resolve()
    try:
        if args.command == "build":
            for path in steps.build(course, args.assignments or list(solutions.ASSIGNMENTS)):
                print(f"built {path.relative_to(course)}")
        elif args.command == "release":
            for path in steps.release(course, args.assignments or list(solutions.ASSIGNMENTS)):
                print(f"released {path.relative_to(course)}")
        elif args.command == "grade":
            return grade(course, args)
        elif args.command == "export":
            from .reports import export
            print(f"wrote {export(course, args.to)}")
        elif args.command == "stats":
            return stats(course, args)
        elif args.command == "gradescope":
            from .gradescope import build_zip
            steps.check_assignment(args.assignment)
            print(f"wrote {build_zip(course, args.assignment, args.to)}")
        elif args.command == "doctor":
            from .sandbox.containment import doctor
            print(doctor())
        elif args.command == "demo":
            from .demo import run
            run(course if args.course != "." else "demo-course", args.assignment, args.jobs)
    except steps.CourseError as err:
        print(f"backproplab {args.command}: {err}", file=sys.stderr)
        return 2
    return 0


def stats(course, args):
    from .reports import saved_reports, stats_plot, stats_text
    steps.check_assignment(args.assignment)
    reports = saved_reports(course, args.assignment)
    if not reports:
        print(f"no graded submissions of {args.assignment}: run `backproplab grade` first")
        return 1
    print(stats_text(reports, args.assignment))
    plot = stats_plot(reports, args.assignment,
                      args.plot or course / "stats" / f"{args.assignment}.png")
    print(f"\nplot: {plot}")
    return 0


def grade(course, args):
    from .pipeline import grade_all
    from .sandbox.containment import ContainmentUnavailable, choose
    from .sandbox.runner import Limits
    try:
        containment = choose(allow_none=args.no_containment)
    except ContainmentUnavailable as err:
        print(f"backproplab grade: {err}", file=sys.stderr)
        return 2
    if containment.level == "none":
        print("WARNING: grading WITHOUT operating-system containment (--no-containment): "
              "student code can read and change anything this user can. The report, the "
              "feedback and the export record it.", file=sys.stderr)
    else:
        print(f"containment: {containment.label}")
    limits = Limits(cell_seconds=args.cell_seconds, call_seconds=args.call_seconds,
                    memory_bytes=args.memory_mb * 1024**2, cpu_seconds=args.cpu_seconds,
                    student_seconds=args.student_seconds)
    reports = grade_all(course, args.assignment, jobs=args.jobs, json_path=args.json,
                        limits=limits, db_url=args.db, containment=containment)
    if not reports:
        print(f"no submissions: nothing in {course / 'submitted'}/<student>/{args.assignment}/")
        return 1
    from .pipeline import failed_students
    flagged = [s for s, r in reports.items() if r.get("errors")]
    total = sum(r["score"] for r in reports.values()) / len(reports)
    print(f"graded {len(reports)} students of {args.assignment} ({containment.label}): mean "
          f"{total:.2f}; {len(flagged)} flagged ({', '.join(flagged) or 'none'})")
    failed = failed_students(reports)
    for student in failed:
        print(f"  not graded: {student}: {reports[student]['errors'][-1]}", file=sys.stderr)
    if failed:
        print(f"{len(failed)} of {len(reports)} students could not be graded; everyone else is "
              "recorded. Run `backproplab grade` again to retry them.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
