"""Prepare the practice LMS: its signing key and settings file, created once and reused.

python -m practice_lms.bootstrap FOLDER --tool-url URL --lms-url URL
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def main() -> None:
    """Write FOLDER/platform.pem and FOLDER/platform.json unless they exist; print the JSON path."""
    parser = argparse.ArgumentParser(prog="python -m practice_lms.bootstrap", description=__doc__)
    parser.add_argument("folder")
    parser.add_argument("--tool-url", required=True, help="Rapport's base URL")
    parser.add_argument("--lms-url", required=True, help="the practice LMS's base URL")
    args = parser.parse_args()
    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / "platform.pem"
    if not key_file.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_file.write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        key_file.chmod(0o600)
    tool, lms = args.tool_url.rstrip("/"), args.lms_url.rstrip("/")
    settings = {
        "issuer": lms,
        "client_id": "rapport-practice",
        "deployment_id": "practice-1",
        "private_key_file": str(key_file.resolve()),
        "tool_login_url": tool + "/lti/login",
        "tool_launch_url": tool + "/lti/launch",
        "tool_jwks_url": tool + "/lti/jwks.json",
        "course_file": str((folder / "course.json").resolve()),
    }
    (folder / "platform.json").write_text(json.dumps(settings, indent=2))
    print(folder / "platform.json")


if __name__ == "__main__":
    main()
