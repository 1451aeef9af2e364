"""How large a POST's body may be: the middleware reads it whole before any page sees it."""

from __future__ import annotations

# A form's fields are bounded (models.limits: a self-review's answers, percent-encoded, are the
# longest, under two mebibytes at their worst); the office page takes at most two files of
# FILE_BYTES each. Anything larger is refused before it is held in memory, so nobody can make
# the server buffer an endless body.
FORM_BYTES = 4 * 1024 * 1024
FILE_BYTES = 20 * 1024 * 1024  # a province's members.csv is a few megabytes
UPLOAD_BYTES = 2 * FILE_BYTES + FORM_BYTES
UPLOAD_PATHS = ("/office/",)
