"""A three-node MariaDB Galera cluster on loopback ports, for the cluster tests and benchmarks.

    python bench/galera.py start     # bootstrap node 1, join 2 and 3, wait until all are Synced
    python bench/galera.py status    # each node: pid, port, cluster size, state
    python bench/galera.py kill 2    # SIGKILL node 2 (a lost database machine)
    python bench/galera.py rejoin 2  # start node 2 again; it catches up from the others (IST/SST)
    python bench/galera.py stop      # shut every node down cleanly and remove the data
    python bench/galera.py nodes     # 127.0.0.1:4306,127.0.0.1:4307,127.0.0.1:4308

Node N listens for clients on 127.0.0.1:(4305 + N) (4306, 4307, 4308) as root with no password,
and for the cluster on 24557 + 10 N. Each node has its own data directory under --dir (default
/tmp/vanbill-galera), a small buffer pool, and logs in <dir>/nodeN/error.log. The shared MariaDB
on 3306 is never touched.
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

NODES = (1, 2, 3)
DEFAULT_DIR = Path(os.environ.get("VANBILL_GALERA_DIR", "/tmp/vanbill-galera"))
CLIENT_PORT_BASE = 4305
CLUSTER_PORT_BASE = 24557
PROVIDERS = ("/usr/lib/galera/libgalera_smm.so", "/usr/lib/libgalera_smm.so")


def client_port(node: int) -> int:
    """Return the port clients use for node N."""
    return CLIENT_PORT_BASE + node


def cluster_port(node: int) -> int:
    """Return node N's group-communication port (IST on +1, SST on +2)."""
    return CLUSTER_PORT_BASE + 10 * node


def cluster_url(nodes: tuple[int, ...] = NODES) -> str:
    """Return a DATABASE_URL naming the nodes (first one used; see services/db.py)."""
    hosts = ",".join(f"127.0.0.1:{client_port(n)}" for n in nodes)
    return f"mysql+aiomysql://root@{hosts}/"


def provider() -> str:
    """Return the path of the Galera library."""
    for path in PROVIDERS:
        if Path(path).exists():
            return path
    raise SystemExit("libgalera_smm.so not found: install the galera-4 package")


def node_dir(base: Path, node: int) -> Path:
    """Return node N's directory (data, socket, pid, log)."""
    return base / f"node{node}"


def node_args(base: Path, node: int, *, bootstrap: bool) -> list[str]:
    """Return the mariadbd command line of node N (no my.cnf is read)."""
    home = node_dir(base, node)
    members = ",".join(f"127.0.0.1:{cluster_port(n)}" for n in NODES)
    gcomm = cluster_port(node)
    options = ";".join(
        [
            f"gmcast.listen_addr=tcp://127.0.0.1:{gcomm}",
            f"ist.recv_addr=127.0.0.1:{gcomm + 1}",
            "gcache.size=64M",
            "pc.recovery=FALSE",
        ]
    )
    args = [
        "/usr/sbin/mariadbd",
        "--no-defaults",
        f"--datadir={home / 'data'}",
        f"--socket={home / 'mysqld.sock'}",
        f"--pid-file={home / 'mysqld.pid'}",
        f"--log-error={home / 'error.log'}",
        f"--port={client_port(node)}",
        "--bind-address=127.0.0.1",
        "--user=root",
        "--skip-name-resolve",
        "--performance-schema=OFF",
        "--innodb-buffer-pool-size=48M",
        "--innodb-log-file-size=48M",
        "--innodb-flush-log-at-trx-commit=2",
        "--max-connections=300",
        "--character-set-server=utf8mb4",
        "--collation-server=utf8mb4_unicode_ci",
        "--binlog-format=ROW",
        "--default-storage-engine=InnoDB",
        "--innodb-autoinc-lock-mode=2",
        "--wsrep-on=ON",
        f"--wsrep-provider={provider()}",
        f"--wsrep-cluster-address=gcomm://{members}",
        "--wsrep-cluster-name=vanbill",
        f"--wsrep-node-name=node{node}",
        f"--wsrep-node-address=127.0.0.1:{gcomm}",
        f"--wsrep-provider-options={options}",
        f"--wsrep-sst-receive-address=127.0.0.1:{gcomm + 2}",
        "--wsrep-sst-method=rsync",
        "--wsrep-slave-threads=2",
    ]
    if bootstrap:
        args.append("--wsrep-new-cluster")
    return args


def node_pid(base: Path, node: int) -> int | None:
    """Return the pid of node N's mariadbd, if it runs."""
    try:
        pid = int((node_dir(base, node) / "mysqld.pid").read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except FileNotFoundError:
        return None
    return pid if comm in ("mariadbd", "mysqld") else None


def query(base: Path, node: int, sql: str) -> list[tuple[str, ...]]:
    """Run SQL on node N through its socket and return the rows (tab-separated columns)."""
    out = subprocess.run(
        [
            "mariadb",
            "--no-defaults",
            "-uroot",
            f"--socket={node_dir(base, node) / 'mysqld.sock'}",
            "-N",
            "-B",
            "-e",
            sql,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    return [tuple(line.split("\t")) for line in out.splitlines() if line]


def wsrep_status(base: Path, node: int) -> dict[str, str]:
    """Return node N's wsrep status variables, or {} if it does not answer."""
    try:
        rows = query(base, node, "SHOW GLOBAL STATUS LIKE 'wsrep%'")
    except (subprocess.SubprocessError, OSError):
        return {}
    return {row[0]: row[1] if len(row) > 1 else "" for row in rows}


def wait_synced(
    base: Path, node: int, process: subprocess.Popen[bytes], timeout: float = 120.0
) -> None:
    """Wait until node N reports Synced (or fail with the tail of its log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        status = wsrep_status(base, node)
        if (
            status.get("wsrep_local_state_comment") == "Synced"
            and status.get("wsrep_ready") == "ON"
        ):
            return
        time.sleep(0.5)
    log = node_dir(base, node) / "error.log"
    tail = log.read_text(errors="replace").splitlines()[-30:] if log.exists() else []
    why = "exited" if process.poll() is not None else f"not Synced in {timeout:.0f} s"
    raise SystemExit(f"node {node} {why}:\n" + "\n".join(tail))


def launch(base: Path, node: int, *, bootstrap: bool) -> None:
    """Start node N's mariadbd in the background and wait until it is Synced."""
    home = node_dir(base, node)
    (home / "data").mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        # Started by root, the rsync daemon receiving a state transfer runs as `nobody`: give it
        # the joiner's files (mariadbd itself runs as root and reads them all the same).
        nobody = pwd.getpwnam("nobody")
        for path in [home / "data", *(home / "data").rglob("*")]:
            os.chown(path, nobody.pw_uid, nobody.pw_gid, follow_symlinks=False)
    with open(home / "stdout.log", "ab") as out:
        process = subprocess.Popen(
            node_args(base, node, bootstrap=bootstrap),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C in this shell does not kill the cluster
        )
    wait_synced(base, node, process)


def install_first_node(base: Path) -> None:
    """Create node 1's system tables; the others receive everything by state transfer."""
    data = node_dir(base, 1) / "data"
    data.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "mariadb-install-db",
            "--no-defaults",
            f"--datadir={data}",
            "--user=root",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ],
        capture_output=True,
        check=True,
    )


def start(base: Path) -> None:
    """Bootstrap node 1, then join nodes 2 and 3 one at a time."""
    if any(node_pid(base, n) for n in NODES):
        raise SystemExit(f"a cluster already runs under {base}: `galera.py stop` first")
    shutil.rmtree(base, ignore_errors=True)
    install_first_node(base)
    started = time.monotonic()
    launch(base, 1, bootstrap=True)
    # Clients connect over TCP as root with no password (a test machine on loopback only).
    query(
        base,
        1,
        "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';"
        "GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;",
    )
    for node in NODES[1:]:
        launch(base, node, bootstrap=False)
    print(f"cluster of {len(NODES)} Synced in {time.monotonic() - started:.1f} s")
    status(base)


def rejoin(base: Path, node: int) -> None:
    """Start node N again after a kill or stop; it rejoins the running cluster."""
    if node_pid(base, node) is not None:
        raise SystemExit(f"node {node} already runs")
    launch(base, node, bootstrap=False)
    status(base)


def kill(base: Path, node: int) -> None:
    """SIGKILL node N (as if its machine were lost)."""
    pid = node_pid(base, node)
    if pid is None:
        raise SystemExit(f"node {node} does not run")
    os.kill(pid, signal.SIGKILL)
    print(f"node {node} (pid {pid}) killed")


def stop_node(base: Path, node: int, timeout: float = 60.0) -> None:
    """Shut node N down cleanly (SIGTERM, then SIGKILL after `timeout`)."""
    pid = node_pid(base, node)
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        time.sleep(0.2)
    if Path(f"/proc/{pid}").exists():
        os.kill(pid, signal.SIGKILL)
        print(f"node {node} did not stop in {timeout:.0f} s: killed")


def stop(base: Path, *, keep: bool = False) -> None:
    """Stop every node (last joined first) and remove the data directories."""
    for node in reversed(NODES):
        stop_node(base, node)
    if not keep:
        shutil.rmtree(base, ignore_errors=True)
    print("cluster stopped" + ("" if keep else f", {base} removed"))


def status(base: Path) -> int:
    """Print each node's state; return how many are Synced."""
    synced = 0
    for node in NODES:
        pid = node_pid(base, node)
        st = wsrep_status(base, node) if pid else {}
        state = st.get("wsrep_local_state_comment", "down" if pid is None else "not answering")
        synced += state == "Synced"
        print(
            f"node{node}: port {client_port(node)} pid {pid or '-'} state {state}"
            f" cluster_size {st.get('wsrep_cluster_size', '-')}"
            f" status {st.get('wsrep_cluster_status', '-')}"
        )
    return synced


def main() -> None:
    """Parse the command line and act."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "action", choices=["start", "stop", "status", "kill", "rejoin", "url", "nodes"]
    )
    parser.add_argument("node", nargs="?", type=int, choices=NODES)
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--keep", action="store_true", help="stop: keep the data directories")
    args = parser.parse_args()
    base: Path = args.dir
    if args.action in ("kill", "rejoin") and args.node is None:
        parser.error(f"{args.action} needs a node number")
    if args.action == "start":
        start(base)
    elif args.action == "stop":
        stop(base, keep=args.keep)
    elif args.action == "status":
        sys.exit(0 if status(base) == len(NODES) else 1)
    elif args.action == "kill":
        kill(base, args.node)
    elif args.action == "rejoin":
        rejoin(base, args.node)
    elif args.action == "nodes":
        print(",".join(f"127.0.0.1:{client_port(n)}" for n in NODES))
    else:
        print(cluster_url())


if __name__ == "__main__":
    main()
