"""What the Python tests that run the gwsync binary against the real gateway
share: the environment tools/test.sh provides, and a clean one for gwsync.

Import it after `sys.path.insert(0, <tests/support>)`.
"""

import os
import random


def require(name):
    """An environment variable tools/test.sh sets; a missing one fails the
    test run, never skips it."""
    value = os.environ.get(name, "")
    if not value:
        raise RuntimeError(
            f"{name} is not set: run through tools/test.sh, or source the gateway's env file "
            "(. /tmp/gwsync-rgw/env) and set GWSYNC_BIN to the gwsync binary")
    return value


def gwsync_env(home):
    """An environment for gwsync: the test user's keys, a scratch HOME (no
    ~/.s3cfg, a private default index), no other AWS_* or proxy variables."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and not k.lower().endswith("_proxy")}
    env.update(HOME=home, AWS_ACCESS_KEY_ID=require("GWSYNC_TEST_ACCESS_KEY"),
               AWS_SECRET_ACCESS_KEY=require("GWSYNC_TEST_SECRET_KEY"))
    return env


def data_of(size, seed):
    """Deterministic pseudo-random bytes."""
    return random.Random(seed).randbytes(size)
