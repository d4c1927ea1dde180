"""The instructor kit: exercise sources and the instructor guide, for `workbook course init`."""
