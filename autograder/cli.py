"""The instructor's command ``backproplab``: small steps over an nbgrader course directory.

Global options (``--course``, ``--db``) work before or after the sub-command, as nbgrader's
do: ``backproplab grade hw2_layers --course ~/course`` and ``backproplab --course ~/course
grade hw2_layers`` are the same.
"""
import argparse
import os
import sys
from importlib import metadata
from pathlib import Path

import solutions

from . import course as steps
from .judging.registry import RegistryError
from .round.gradescope import GradescopeError
from .round.kit import KitError

EXAMPLES = {
    None: """examples:
  backproplab build && backproplab release          # notebooks from templates/ and solutions/
  backproplab grade hw2_layers --course ~/course    # grade the class (contained)
  backproplab grade hw2_layers --student alice      # regrade one student, keep the others
  backproplab similarity hw2_layers --json sim.json # copied code, per graded function
  backproplab export --to grades.csv                # nbgrader's CSV + per-function columns""",
    "build": "example:\n"
             "  backproplab build hw1_graphs        # source/hw1_graphs/ from the template",
    "release": "example:\n"
               "  backproplab release hw1_graphs      # release/hw1_graphs/ for students",
    "grade": """examples:
  backproplab grade hw2_layers --course ~/course --jobs 4
  backproplab grade hw2_layers --student alice --student bob --force
  backproplab grade hw2_layers --json report.json --student-seconds 300""",
    "similarity": "examples:\n"
                  "  backproplab similarity hw2_layers                         "
                  "# ranked table + similarity/hw2_layers.html\n"
                  "  backproplab similarity hw3_cnn --threshold 0.8 --json sim.json",
    "export": "example:\n  backproplab export --course ~/course --to grades.csv",
    "stats": "example:\n  backproplab stats hw2_layers --plot stats.png",
    "gradescope": "example:\n  backproplab gradescope hw2_layers --to hw2.zip",
    "doctor": "example:\n  backproplab doctor",
    "demo": "example:\n  backproplab demo --assignment hw3_cnn",
}


def cores():
    """CPUs this process may run on (its affinity, so a container's limit counts)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def version():
    try:
        return metadata.version("backproplab-instructor")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def global_options(parser, defaults):
    """--course and --db. On the main parser they have defaults; on each sub-command they
    default to SUPPRESS, so a value given before the sub-command is not overwritten."""
    parser.add_argument("--course", default="." if defaults else argparse.SUPPRESS,
                        help="nbgrader course directory (default: .)")
    parser.add_argument("--db", default=None if defaults else argparse.SUPPRESS,
                        help="gradebook database URL (default: the course's gradebook.db)")


def parse_args(argv):
    return build_parser().parse_args(argv)


def build_parser():
    parser = argparse.ArgumentParser(prog="backproplab", description=__doc__.split("\n\n")[0],
                                     epilog=EXAMPLES[None],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"backproplab {version()}")
    global_options(parser, defaults=True)
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name, text):
        cmd = sub.add_parser(name, help=text, description=text, epilog=EXAMPLES[name],
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        global_options(cmd, defaults=False)
        return cmd

    for name, text in [("build", "build source notebooks from templates/ and the solutions"),
                       ("release", "nbgrader generate_assignment: write release/")]:
        command(name, text).add_argument("assignments", nargs="*", help="default: all four")
    grade = command("grade", "grade every submitted/<student>/<assignment>/")
    grade.add_argument("assignment")
    grade.add_argument("--jobs", type=int, default=cores(),
                       help=f"students graded at once (default: the cores available, {cores()})")
    grade.add_argument("--student", action="append", metavar="ID",
                       help="grade only this student (repeatable); everyone else's results stay")
    grade.add_argument("--force", action="store_true",
                       help="grade again even submissions unchanged since they were graded")
    grade.add_argument("--json", help="write the report to this file")
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
    grade.add_argument("--scheduler", metavar="ADDRESS",
                       help="grade on the Dask cluster of this scheduler (tcp://HOST:8786; "
                            "needs the [cluster] extra): one task per student, only on workers "
                            "that offer containment and run this kit's version")
    similarity = command("similarity", "copied code: every pair of submissions and the code "
                         "students can reach, per graded function")
    similarity.add_argument("assignment")
    similarity.add_argument("--threshold", type=float,
                            help="report pairs at or above this similarity (0 to 1)")
    similarity.add_argument("--json", help="write the pairs and matches to this file")
    similarity.add_argument("--html", help="the side-by-side report "
                            "(default similarity/<assignment>.html in the course)")
    similarity.add_argument("--scheduler", metavar="ADDRESS",
                            help="compare on the Dask cluster of this scheduler "
                                 "(tcp://HOST:8786): one task per graded function")
    export = command("export", "grades as CSV: nbgrader's export plus per-function columns")
    export.add_argument("--to", default="grades.csv")
    stats = command("stats", "what the class got wrong: a table and a plot")
    stats.add_argument("assignment")
    stats.add_argument("--plot", help="where to save the plot (default stats/<assignment>.png)")
    gradescope = command("gradescope", "a Gradescope autograder zip")
    gradescope.add_argument("assignment")
    gradescope.add_argument("--to", help="the zip to write (default gradescope-<assignment>.zip)")
    gradescope.add_argument("--no-containment", action="store_true",
                            help="grade without walls where Gradescope's machine offers no "
                                 "Landlock (only for code you trust; default: refuse)")
    command("doctor", "what containment this machine offers for student code")
    demo = command("demo", "a whole grading round in a fresh course directory")
    demo.add_argument("--assignment", default="hw2_layers")
    demo.add_argument("--jobs", type=int, default=cores(),
                      help=f"students graded at once (default: the cores available, {cores()})")
    return parser


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
            from .round.reports import export
            print(f"wrote {export(course, args.to, args.db)}")
        elif args.command == "similarity":
            return similarity(course, args)
        elif args.command == "stats":
            return stats(course, args)
        elif args.command == "gradescope":
            from .round.gradescope import build_zip
            steps.check_assignment(args.assignment)
            print(f"wrote {build_zip(course, args.assignment, args.to, args.no_containment)}")
        elif args.command == "doctor":
            from .sandbox.containment import doctor
            print(doctor())
        elif args.command == "demo":
            from .round.demo import run
            run(course if args.course != "." else "demo-course", args.assignment, args.jobs)
    except (steps.CourseError, GradescopeError, KitError, RegistryError) as err:
        print(f"backproplab {args.command}: {err}", file=sys.stderr)
        return 2
    return 0


def similarity(course, args):
    from .round.cluster import ClusterError
    from .similarity import run
    steps.check_assignment(args.assignment)
    try:
        cluster = on_cluster(args.scheduler, allow_none=True)  # runs no student code
    except ClusterError as err:
        print(f"backproplab similarity: {err}", file=sys.stderr)
        return 2
    if cluster:
        print(cluster.describe())
    try:
        return run(course, args.assignment, threshold=args.threshold, json_path=args.json,
                   html_path=args.html, scheduler=cluster)
    finally:
        if cluster:
            cluster.close()


def stats(course, args):
    from .round.reports import lateness_text, saved_reports, stats_plot, stats_text
    steps.check_assignment(args.assignment)
    reports = saved_reports(course, args.assignment)
    if not reports:
        print(f"no graded submissions of {args.assignment}: run `backproplab grade` first")
        return 1
    print(stats_text(reports, args.assignment))
    print("\n" + lateness_text(course, args.assignment, args.db, reports))
    plot = stats_plot(reports, args.assignment,
                      args.plot or course / "stats" / f"{args.assignment}.png")
    print(f"\nplot: {plot}")
    return 0


def late_summary(reports):
    """'late: 2 of 30 (bob late by 2 h 5 min (penalty 3); ...)' or 'late: none of 30 ...'."""
    times = {s: r.get("submission_time") or {} for s, r in reports.items()}
    late = {s: t for s, t in times.items() if t.get("seconds_late", 0) > 0}
    unknown = sum(1 for t in times.values() if not t.get("timestamp"))
    known = f"{unknown} without a submission time" if unknown else "all with a submission time"
    if not late:
        return f"late: none of {len(reports)} ({known})"
    listed = "; ".join(f"{s} {t['summary']}" for s, t in sorted(late.items()))
    return f"late: {len(late)} of {len(reports)} ({listed}; {known})"


def grade(course, args):
    from .round.cluster import ClusterError
    from .round.pipeline import grade_all
    from .sandbox.containment import ContainmentUnavailable, choose
    from .sandbox.runner import Limits
    try:
        cluster = on_cluster(args.scheduler, args.no_containment)
        containment = cluster.containment if cluster else choose(allow_none=args.no_containment)
    except (ContainmentUnavailable, ClusterError) as err:
        print(f"backproplab grade: {err}", file=sys.stderr)
        return 2
    if cluster:
        print(cluster.describe())
    if containment.level == "none":
        print("WARNING: grading WITHOUT operating-system containment (--no-containment): "
              "student code can read and change anything this user can. The report, the "
              "feedback and the export record it.", file=sys.stderr)
    elif not cluster:
        print(f"containment: {containment.label}")
    limits = Limits(cell_seconds=args.cell_seconds, call_seconds=args.call_seconds,
                    memory_bytes=args.memory_mb * 1024**2, cpu_seconds=args.cpu_seconds,
                    student_seconds=args.student_seconds)
    try:
        reports = grade_all(course, args.assignment, jobs=args.jobs, json_path=args.json,
                            limits=limits, db_url=args.db, containment=containment,
                            students=args.student, force=args.force, scheduler=cluster)
    finally:
        if cluster:
            cluster.close()
    if not reports:
        print(f"no submissions: nothing in {course / 'submitted'}/<student>/{args.assignment}/")
        return 1
    from .round.pipeline import failed_students
    flagged = [s for s, r in reports.items() if r.get("errors")]
    total = sum(r["score"] for r in reports.values()) / len(reports)
    who = "students" if args.student is None else "chosen students (everyone else unchanged)"
    print(f"graded {len(reports)} {who} of {args.assignment} ({containment.label}): mean "
          f"{total:.2f}; {len(flagged)} flagged ({', '.join(flagged) or 'none'})")
    print(late_summary(reports))
    for report in reports.values():
        for flag in report.get("flags", []):
            if flag.get("code") == "bad_timestamp":
                print(f"  warning: {flag['message']}", file=sys.stderr)
    failed = failed_students(reports)
    for student in failed:
        print(f"  not graded: {student}: {reports[student]['errors'][-1]}", file=sys.stderr)
    if failed:
        print(f"{len(failed)} of {len(reports)} students could not be graded; everyone else is "
              "recorded. Run `backproplab grade` again to retry them.", file=sys.stderr)
        return 1
    return 0


def on_cluster(address, allow_none):
    """The Dask cluster at ``address`` (None without one), its workers asked and sorted."""
    if not address:
        return None
    from tqdm.auto import tqdm

    from .round.cluster import connect
    return connect(address, allow_none=allow_none, say=tqdm.write)


if __name__ == "__main__":
    sys.exit(main())
