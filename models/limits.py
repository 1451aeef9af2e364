"""How long each kind of free text may be, in characters: one table for every way in.

A limit keeps a row, a mail, a page and a workbook cell a size people can read and the
database can hold without surprise; every refusal names the limit it broke.
"""

from __future__ import annotations

from typing import Final

from vocabulary import N_

CODE: Final = 64  # organization, member, cycle and team codes
NAME: Final = 200  # names of organizations, members, teams and offices; positions
EMAIL: Final = 254  # RFC 5321's longest path
TITLE: Final = 500  # a plan's title and document number
TEXT: Final = 5000  # a suggestion, comment, opinion, reason, note, conclusion, shortcoming
LONG_TEXT: Final = 20000  # a self-review's answer per criterion, strengths and remedies

# Characters a code may hold: the tree's materialised path joins codes with "/", unit codes
# are "<kind>:<code>", mail keys and file names use ":" and "-", so a code keeps to these.
CODE_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
CODE_CHARACTERS: Final = N_("letters A-Z, digits, '.', '_' and '-' (not first)")
