#!/usr/bin/python3
"""Executes notebooks headless in the crowdrank Java kernel; writes executed copies and HTML.

Run by ``./crowdrank notebooks`` with Debian's Jupyter (/usr/bin/python3: nbclient, nbconvert,
jupyter_client). The kernel has a start-up race: a request that arrives while it is still binding
its sockets can leave it hanging, so each kernel is started here, its ports are waited for, and a
start that does not answer within the timeout is retried (notebooks/README.md).

usage: run_notebooks.py --out DIR [--kernel NAME] [--start-attempts N] [--start-timeout S]
                        [--cell-timeout S] NOTEBOOK...
"""
import argparse
import os
import socket
import sys
import time

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter

KERNEL = "crowdrank-java"


def wait_for_ports(km, timeout):
    """True once every port the kernel was given accepts a connection."""
    deadline = time.monotonic() + timeout
    ports = [km.shell_port, km.iopub_port, km.stdin_port, km.control_port, km.hb_port]
    while time.monotonic() < deadline:
        if not km.is_alive():
            return False
        try:
            for port in ports:
                with socket.create_connection((km.ip, port), timeout=1):
                    pass
            return True
        except OSError:
            time.sleep(0.2)
    return False


def started_kernel(kernel, attempts, timeout, cwd):
    """A started kernel and the client it answered, after up to `attempts` tries.

    The notebook runs through this same client: a second client's first request was seen to go
    unanswered by this kernel."""
    for attempt in range(1, attempts + 1):
        km = KernelManager(kernel_name=kernel)
        km.start_kernel(cwd=cwd)
        kc = None
        try:
            if not wait_for_ports(km, timeout):
                raise RuntimeError("the kernel did not open its ports")
            # The ports are bound a moment before the kernel reads them.
            time.sleep(1)
            kc = km.client()
            kc.start_channels()
            kc.wait_for_ready(timeout=timeout)
            return km, kc
        except RuntimeError as e:
            print(f"  kernel start {attempt}/{attempts} failed: {e}", file=sys.stderr)
            if kc is not None:
                kc.stop_channels()
            km.shutdown_kernel(now=True)
    raise RuntimeError(f"the {kernel} kernel did not start in {attempts} attempts")


def execute(path, out_dir, kernel, attempts, start_timeout, cell_timeout):
    name = os.path.splitext(os.path.basename(path))[0]
    nb = nbformat.read(path, as_version=4)
    cwd = os.path.dirname(os.path.abspath(path))
    started = time.monotonic()
    km, kc = started_kernel(kernel, attempts, start_timeout, cwd)
    failed = None
    try:
        client = NotebookClient(
            nb,
            km=km,
            timeout=cell_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel,
            resources={"metadata": {"path": cwd}},
        )
        client.kc = kc
        client.execute()
    except CellExecutionError as e:
        failed = e
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    executed = os.path.join(out_dir, name + ".ipynb")
    nbformat.write(nb, executed)
    html, _ = HTMLExporter().from_notebook_node(nb)
    with open(os.path.join(out_dir, name + ".html"), "w", encoding="utf-8") as f:
        f.write(html)
    seconds = time.monotonic() - started
    if failed is not None:
        print(f"FAILED {path} after {seconds:.0f} s (executed copy: {executed})", file=sys.stderr)
        print(str(failed), file=sys.stderr)
        return False
    print(f"ok {path} in {seconds:.0f} s -> {executed}, {name}.html")
    return True


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="directory for executed copies and HTML")
    p.add_argument("--kernel", default=KERNEL)
    p.add_argument("--start-attempts", type=int, default=6)
    p.add_argument("--start-timeout", type=int, default=20, help="seconds per start attempt")
    p.add_argument("--cell-timeout", type=int, default=900, help="seconds per cell")
    p.add_argument("notebooks", nargs="+")
    a = p.parse_args()
    if a.start_attempts < 1 or a.start_timeout < 1 or a.cell_timeout < 1:
        p.error("--start-attempts, --start-timeout and --cell-timeout must be >= 1")
    os.makedirs(a.out, exist_ok=True)
    ok = True
    for path in a.notebooks:
        if not os.path.isfile(path):
            p.error(f"no such notebook: {path}")
    for path in a.notebooks:
        ok = execute(path, a.out, a.kernel, a.start_attempts, a.start_timeout, a.cell_timeout) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
