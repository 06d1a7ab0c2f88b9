# nbgrader configuration of the backproplab course directory (this repository).
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "backproplab"
# A test cell the student deleted comes back from the gradebook instead of needing a manual grade.
c.OverwriteCells.add_missing_cells = True
