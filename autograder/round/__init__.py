"""A grading round: reading submissions, grading one student and a class, the gradebook,
feedback, reports and exports, Gradescope, cluster scheduling, and the demo course."""
