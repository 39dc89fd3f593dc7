"""Run the practice LMS: python -m practice_lms SETTINGS.json --host H --port P."""
from __future__ import annotations

import argparse

from werkzeug.serving import run_simple

from . import create_platform
from .settings import PlatformSettings


def main() -> None:
    """Serve the practice LMS until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m practice_lms", description=__doc__)
    parser.add_argument("settings", help="JSON settings file")
    parser.add_argument("--host", default="127.0.0.2")
    parser.add_argument("--port", type=int, default=5001)
    args = parser.parse_args()
    app = create_platform(PlatformSettings.from_file(args.settings))
    run_simple(args.host, args.port, app, threaded=True)


if __name__ == "__main__":
    main()
