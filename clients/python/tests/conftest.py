"""A real silo (the built SandboxGrains.Silo.dll) serving seed 002's routes for a real container, for the client's tests.

Needs Docker, the solution built (Debug) and the daemon bundle published, as tools/test.sh leaves them.
"""

import json
import os
import secrets
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SILO = ROOT / "src" / "SandboxGrains.Silo" / "bin" / "Debug" / "net10.0" / "SandboxGrains.Silo.dll"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def docker(*arguments: str) -> str:
    return subprocess.run(["docker", *arguments], check=True, capture_output=True, text=True, timeout=120).stdout.strip()


@pytest.fixture(scope="session")
def target():
    """The service's default target: a container started by hand, with web apps on 8080 and 6080."""
    name = f"pyclient-{secrets.token_hex(4)}"
    docker("run", "-d", "--name", name, "sandboxgrains/base:latest", "sleep", "1d")
    try:
        for port in (8080, 6080):
            docker("exec", "-d", name, "python3", "-m", "http.server", str(port), "--directory", "/etc")
        yield name
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=120)


@pytest.fixture(scope="session")
def silo(target):
    if not SILO.exists():
        pytest.fail(f"build the silo first: {SILO} is missing")
    port = free_port()
    runner = f"pytest-{secrets.token_hex(6)}"
    key = "pytest-key-" + secrets.token_hex(12)
    data = tempfile.mkdtemp(prefix="sandboxgrains-pytest-")
    process = subprocess.Popen(
        ["dotnet", str(SILO), f"--urls=http://127.0.0.1:{port}", f"--Silo:DataDirectory={data}", f"--Runner:Id={runner}",
         "--Runner:CpuOvercommit=32", f"--Orleans:Endpoints:SiloPort={free_port()}", f"--Orleans:Endpoints:GatewayPort={free_port()}",
         "--DaemonProxy:Mode=docker", f"--DaemonProxy:ContainerName={target}"],
        env={**os.environ, "SANDBOXGRAINS_API_KEY": key}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=SILO.parent)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"the silo exited with {process.returncode}: {process.stdout.read().decode(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=5) as response:
                    if json.loads(response.read())["status"] == "healthy":
                        break
            except (urllib.error.URLError, OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                pytest.fail("the silo's default target did not become healthy within 90 s")
            time.sleep(0.3)
        yield {"url": base, "key": key, "runner": runner}
    finally:
        process.kill()
        process.wait(timeout=30)
        leftovers = docker("ps", "-aq", "--filter", f"label=sandboxgrains.runner-id={runner}").split()
        if leftovers:
            subprocess.run(["docker", "rm", "-f", *leftovers], capture_output=True, timeout=120)
