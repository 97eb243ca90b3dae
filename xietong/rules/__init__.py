"""The guide as code: the rule engine and one module of rules per step of the guide.

Importing the package registers every step's rules in ``engine.REGISTRY``
(Python runs this file before any module of the package), so whoever uses
the engine finds the registry complete. The step modules import the engine,
never the reverse: there is no import cycle between them.
"""

from xietong.rules import (  # noqa: F401
    closing,
    comms,
    goal,
    kickoff,
    participants,
    subgoals,
    table,
    tracking,
)
