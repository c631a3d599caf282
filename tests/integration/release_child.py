"""A deciding workstation for the two-process release test.

Run as ``python -m tests.integration.release_child URL DATA_DIR USERNAME REQUEST_ID VERB``
from the repository root. It signs in (password ``USER_PASSWORD``), prints ``READY``,
waits for a line on stdin, then approves or denies (VERB) request REQUEST_ID and prints
``DECIDED <status>`` or ``ALREADY <who decided>``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alpr_desktop.app import open_application
from alpr_desktop.services.releases import AlreadyDecidedError
from alpr_desktop.settings import LocalConfig
from tests.conftest import USER_PASSWORD


def main() -> None:
    url, data_dir, username = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    request_id, verb = int(sys.argv[4]), sys.argv[5]
    config = LocalConfig(database_url=url, data_dir=data_dir, workstation_name=username)
    app = open_application(config)
    try:
        actor = app.services.auth.login(username, USER_PASSWORD).actor
        print("READY", flush=True)
        sys.stdin.readline()
        decide = app.services.releases.approve if verb == "approve" else app.services.releases.deny
        try:
            view = decide(actor, request_id, reason=f"{verb} from {username}")
            print(f"DECIDED {view.status.value}", flush=True)
        except AlreadyDecidedError as exc:
            print(f"ALREADY {exc.by}", flush=True)
    finally:
        app.close()


if __name__ == "__main__":
    main()
