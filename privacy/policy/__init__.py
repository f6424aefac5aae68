"""The rule sets: patron data (`patron`) and camera footage (`footage`), sharing one Decision.

Pure functions, no database: the gate (privacy.gate) gathers the facts, asks a
rule set, logs the decision and acts on it. The vocabulary every door uses is
re-exported here.
"""

from library.roles import Purpose
from privacy.policy.decision import Decision
from privacy.policy.patron import PROTECTED_CATEGORIES, DataCategory, Requester

__all__ = ["PROTECTED_CATEGORIES", "DataCategory", "Decision", "Purpose", "Requester"]
