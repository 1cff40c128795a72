"""A throwaway PostgreSQL server on 127.0.0.1 for tests (skipped where PostgreSQL or psycopg is missing)."""
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from tests.helpers.cluster import free_port


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the ``postgres`` user then."""
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL")
    return [runuser, "-u", "postgres", "--", *cmd]


@pytest.fixture(scope="session")
def postgres_url():
    pytest.importorskip("psycopg", reason="psycopg is needed for PostgreSQL storages")
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL (initdb, pg_ctl) is not installed")
    root = tempfile.mkdtemp(prefix="bs-pg-")
    os.chmod(root, 0o777)
    data, port = os.path.join(root, "data"), free_port()
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres")
    subprocess.run(_as_postgres([initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"]), check=True,
                   capture_output=True)
    subprocess.run(_as_postgres([pg_ctl, "-D", data, "-l", os.path.join(root, "log"), "-w", "-o",
                                 f"-k {root} -h 127.0.0.1 -p {port}", "start"]), check=True, capture_output=True)
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    try:
        import psycopg
        deadline = time.time() + 30
        while True:
            try:
                psycopg.connect(url).close()
                break
            except psycopg.OperationalError:
                if time.time() > deadline:
                    raise
                time.sleep(0.3)
        yield url
    finally:
        subprocess.run(_as_postgres([pg_ctl, "-D", data, "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
