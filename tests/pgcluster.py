"""A throwaway PostgreSQL server for the tests: initdb into a temp folder, a free loopback port.

Debian's ``postgresql`` package (installed by ``.ci/setup``) provides the
binaries; nothing of the machine's own clusters is used or touched. initdb
refuses to run as root, so as root the cluster belongs to the ``postgres``
system user the package creates.

Each test gets its own database, copied from a migrated template with
``CREATE DATABASE … TEMPLATE`` (a file copy inside the server: a few
milliseconds, against ~0.5 s for running the migrations).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def available() -> bool:
    """True when PostgreSQL's server binaries are installed."""
    return _bindir() is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgCluster:
    """A running PostgreSQL server on 127.0.0.1 that belongs to one test session."""

    bindir: Path
    datadir: Path
    port: int
    run_as: str | None  # the system user owning the cluster ("postgres" when we are root)
    template: str | None = None

    @classmethod
    def start(cls) -> PgCluster:
        """initdb into a new temp folder and start the server; raise RuntimeError when it cannot start.

        The folder is made directly in the system temp dir, not under pytest's
        (which is private to the user running the tests), so that the
        ``postgres`` user can reach it when the tests run as root.
        """
        bindir = _bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL is not installed: run `sh .ci/setup` (apt-get install postgresql)")
        run_as = "postgres" if os.geteuid() == 0 else None
        root = Path(tempfile.mkdtemp(prefix="leadex-pg-"))
        if run_as:
            shutil.chown(root, run_as)
            root.chmod(0o700)
        cluster = cls(bindir, root / "data", _free_port(), run_as)
        cluster._run("initdb", "-D", str(cluster.datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        settings = {
            "listen_addresses": "'127.0.0.1'", "port": str(cluster.port), "unix_socket_directories": f"'{root}'",
            "max_connections": "200", "shared_buffers": "'64MB'",
            # A crash of the server process (kill -9, what the tests do) loses
            # nothing that fsync would have kept: the OS page cache survives it.
            "fsync": "off", "full_page_writes": "off",
        }
        with open(cluster.datadir / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# leadex-mail tests\n" + "".join(f"{k} = {v}\n" for k, v in settings.items()))
        cluster.restart()
        return cluster

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bindir / tool), *args]
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd="/")
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` on this server."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _admin(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as conn:
            for sql in statements:
                conn.execute(sql)  # type: ignore[arg-type]

    def new_database(self, *, migrated: bool = True) -> str:
        """A new, empty database (migrated to the newest revision unless told otherwise); its URL."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        if migrated:
            self._admin(f"CREATE DATABASE {name} TEMPLATE {self._template()}")
        else:
            self._admin(f"CREATE DATABASE {name}")
        return self.url(name)

    def reset_to_template(self, url: str) -> None:
        """Make the database of ``url`` a fresh copy of the migrated template (no one may be connected)."""
        name = url.rsplit("/", 1)[1]
        self._admin(f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name} TEMPLATE {self._template()}")

    def _template(self) -> str:
        if self.template is None:
            from leadex_mail.config import Settings
            from leadex_mail.store.db import open_store

            self._admin("CREATE DATABASE leadex_template")
            open_store(Settings(database_url=self.url("leadex_template"))).close()
            self.template = "leadex_template"
        return self.template

    def kill(self) -> None:
        """Kill the server and its backends with SIGKILL, as a crash of the machine's server would.

        Returns once every one of those processes is gone, so ``restart`` finds
        no shared memory still attached.
        """
        main = int((self.datadir / "postmaster.pid").read_text().split()[0])
        pids = [main, *_children(main)]
        for pid in pids:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        for pid in pids:
            _wait_gone(pid)

    def shutdown(self) -> None:
        """Stop the server as an operator or a package upgrade does (``pg_ctl stop -m fast``: sessions ended, data kept); ``restart`` starts it again."""
        self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "-t", "60", "stop")

    def restart(self) -> None:
        """Start the server again after ``kill`` (crash recovery replays its WAL)."""
        self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.datadir.parent / "server.log"), "-w", "-t", "60", "start")

    def stop(self) -> None:
        """Stop the server at once and delete its folder."""
        try:
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
        except RuntimeError:
            pass  # already stopped (killed by a test)
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (PostgreSQL's backends and helpers), from /proc."""
    out = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.split("/")[2]))
    return out


def _wait_gone(pid: int) -> None:
    """Block until process ``pid`` no longer exists, not even as a zombie (PostgreSQL's lock-file check would see it)."""
    import time

    for _ in range(6000):  # a bound against a hang, not a timing assumption: SIGKILL cannot be ignored
        if not Path(f"/proc/{pid}").exists():
            return
        time.sleep(0.01)
    raise RuntimeError(f"process {pid} did not exit after SIGKILL")
