"""A MariaDB server of a test's own (own data directory, port and socket), to stop and restart.

The shared server on 3306 is never touched: a test that needs the database to go away starts
one of these, kills it (SIGKILL: a crash, not a pause) and starts it again on the same data
directory and port.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pymysql

from vanbill.services.db import schema_statements

INSTALL_DB = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
SERVER = shutil.which("mariadbd", path="/usr/sbin:/usr/bin") or shutil.which(
    "mysqld", path="/usr/sbin:/usr/bin"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivateMariaDB:
    """A throw-away MariaDB server; `stop()` kills it, `start()` brings it back."""

    def __init__(self, database: str = "vanbill") -> None:
        if INSTALL_DB is None or SERVER is None:
            raise RuntimeError("mariadb-install-db and mariadbd are needed")
        self.root = Path(tempfile.mkdtemp(prefix="vanbill-mariadb-"))
        self.datadir = self.root / "data"
        self.socket = self.root / "mysqld.sock"
        self.port = _free_port()
        self.database = database
        self.process: subprocess.Popen[bytes] | None = None
        subprocess.run(
            [
                INSTALL_DB,
                "--no-defaults",
                f"--datadir={self.datadir}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--user=root",
            ],
            check=True,
            capture_output=True,
        )

    @property
    def url(self) -> str:
        """Return the async URL of the test's database on this server."""
        return f"mysql+aiomysql://root@127.0.0.1:{self.port}/{self.database}"

    def start(self, timeout: float = 30.0) -> None:
        """Start the server (again) and wait until it answers."""
        assert self.process is None
        log = (self.root / "server.log").open("ab")
        self.process = subprocess.Popen(
            [
                str(SERVER),
                "--no-defaults",
                f"--datadir={self.datadir}",
                f"--socket={self.socket}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--pid-file={self.root / 'mysqld.pid'}",
                "--user=root",
                "--skip-grant-tables",
                "--skip-name-resolve",
                "--innodb-buffer-pool-size=64M",
                "--innodb-log-file-size=16M",
                "--innodb-flush-log-at-trx-commit=2",
                "--max-connections=200",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.connect(None).close()
                return
            except pymysql.err.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "the private MariaDB did not start:\n"
                        + (self.root / "server.log").read_text(errors="replace")[-2000:]
                    ) from None
                time.sleep(0.2)

    def stop(self) -> None:
        """Kill the server outright, as a crash would, and wait until it is gone."""
        if self.process is None:
            return
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def connect(self, database: str | None) -> pymysql.connections.Connection:
        """Open a plain synchronous connection (set-up and checks)."""
        return pymysql.connect(
            host="127.0.0.1",
            port=self.port,
            user="root",
            database=database,
            charset="utf8mb4",
            autocommit=True,
            connect_timeout=2,
        )

    def load_schema(self) -> None:
        """Create the test's database holding schema.sql (the latest revision)."""
        with self.connect(None) as conn, conn.cursor() as cur:
            cur.execute(
                f"CREATE DATABASE `{self.database}` CHARACTER SET utf8mb4"
                " COLLATE utf8mb4_unicode_ci"
            )
        with self.connect(self.database) as conn, conn.cursor() as cur:
            for statement in schema_statements():
                cur.execute(statement)

    def remove(self) -> None:
        """Kill the server and delete its data directory."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
