"""What staff see about a course: one module per dashboard section, each reading summaries for one course.

Every function takes the course from the caller (the launch's course, never a URL) and only
ever reads rows of that course. A new section (ratings, for example) is a module of its own that
registers itself in `sections.py`.
"""
