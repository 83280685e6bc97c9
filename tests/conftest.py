"""Suite-wide test settings.

Under CI (the ``CI`` environment variable set) Hypothesis runs derandomized:
the same examples every run, so that a submission lands or fails on its own
merits and not on the draw of a random seed.  Locally the examples stay
random, which is where new counter-examples are found.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
