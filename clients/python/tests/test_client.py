"""The client against a real silo: seed 002's calls on its default target, and the native API's everyday ones."""

import asyncio
import urllib.error
import urllib.request
import uuid

import pytest

from sandboxgrains_client import DaemonProxyClient, SandboxGrainsError


def run(coroutine):
    return asyncio.run(coroutine)


def fetch(url: str) -> tuple:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def client(silo) -> DaemonProxyClient:
    return DaemonProxyClient(silo["url"], api_key=silo["key"])


def test_health_check_reports_the_target_running(silo):
    health = run(client(silo).health_check())
    assert health["status"] == "healthy"
    assert health["daemon"] == "running"


def test_daemon_status_names_the_target(silo, target):
    status = run(client(silo).daemon_status())
    assert status["container"] == target
    assert status["running"] is True


def test_preview_links_open_count_and_revoke(silo, target):
    async def scenario():
        async with client(silo) as proxy:
            website = await proxy.get_website_preview_link()
            vnc = await proxy.get_vnc_preview_link()
            stats = await proxy.get_preview_stats()
            return website, vnc, stats

    website, vnc, stats = run(scenario())
    assert (website.port, vnc.port) == (8080, 6080)
    assert website.token in website.url
    status, body = fetch(website.url + "hostname")
    assert status == 200 and body.strip()
    assert fetch(vnc.url + "hostname")[0] == 200
    assert stats["active"] >= 2
    assert website.token not in str(stats)

    assert run(client(silo).revoke_preview_link(website.token)) is True
    assert fetch(website.url)[0] == 404
    with pytest.raises(SandboxGrainsError) as refused:
        run(client(silo).revoke_preview_link(website.token))
    assert (refused.value.status, refused.value.code) == (404, "preview_not_found")


def test_wrong_key_is_refused_with_its_code(silo):
    with pytest.raises(SandboxGrainsError) as refused:
        run(DaemonProxyClient(silo["url"], api_key="not-the-key-0123456789").get_preview_stats())
    assert (refused.value.status, refused.value.code) == (401, "unauthorized")


def test_native_api_create_execute_files_list_delete(silo):
    label = uuid.uuid4().hex

    async def scenario():
        async with client(silo) as api:
            sandbox = await api.create_sandbox("sandboxgrains/busybox:latest", cpu=0.25, memoryMb=64, labels={"case": label})
            try:
                ran = await api.execute(sandbox["id"], "echo from-python")
                await api.upload(sandbox["id"], "/tmp/hello.txt", b"hello from python")
                downloaded = await api.download(sandbox["id"], "/tmp/hello.txt")
                listed = await api.list_sandboxes(labels={"case": label})
                fetched = await api.get_sandbox(sandbox["id"])
            finally:
                await api.delete_sandbox(sandbox["id"])
            with pytest.raises(SandboxGrainsError) as gone:
                await api.get_sandbox(sandbox["id"])
            return sandbox, ran, downloaded, listed, fetched, gone.value

    sandbox, ran, downloaded, listed, fetched, gone = run(scenario())
    assert sandbox["state"] == "started"
    assert (ran["exitCode"], ran["result"].strip()) == (0, "from-python")
    assert downloaded == b"hello from python"
    assert [s["id"] for s in listed] == [sandbox["id"]]
    assert fetched["labels"] == {"case": label}
    assert (gone.status, gone.code) == (404, "sandbox_not_found")
