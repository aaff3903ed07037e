"""Hardening (issue 13, item 9): passthrough cannot leave the provider's ``api_base`` path.

With ``api_base`` ``http://H/team-a/v1``, ``/fx/%2e%2e/%2e%2e/team-b/v1/models`` used to reach
``/team-b/v1/models`` with team-a's key (aiohttp decodes the escapes, its client resolves the dots).
Now such a path is a 400 in the caller's format and nothing goes upstream; paths that stay inside
the base still work, and escapes that are not dots stay escaped."""

from __future__ import annotations

import json

import pytest

from proxy_client import auth_headers, error_shape_ok, proxy_for
from test_proxy_fastlane import next_answer, raw_connection, raw_request
from upstreams import UpstreamServer


async def get_under_team_a(path: str):
    """GET ``path`` from the proxy, written raw (no client normalises it), for a provider whose api_base
    is ``/team-a/v1`` on a local upstream: the proxy's answer, and the requests the upstream got."""
    async with UpstreamServer("openai-chat") as up:
        provider = up.provider("fx", api_base=up.root_url + "/team-a/v1")
        async with proxy_for(provider) as (server, session):
            async with raw_connection(server) as (reader, writer):
                writer.write(raw_request("GET", path, list(auth_headers("openai-chat", session.token).items()), None))
                answer = await next_answer(reader)
    return answer, up.requests


@pytest.mark.parametrize("path", [
    "/fx/%2e%2e/%2e%2e/team-b/v1/models",
    "/fx/%2E%2E/%2E%2E/team-b/v1/models",
    "/fx/v1/%2e%2e/%2e%2e/%2e%2e/team-b/v1/models",
    "/fx/.%2e/.%2e/team-b/v1/models",
])
async def test_a_path_climbing_out_of_api_base_is_a_400_and_never_sent(path):
    answer, reached = await get_under_team_a(path)
    assert answer.status == 400, answer.body
    body = json.loads(answer.body)
    assert error_shape_ok("openai-chat", body, 400) and "api_base" in body["error"]["message"]
    assert not reached


@pytest.mark.parametrize("path,reaches", [
    ("/fx/v1/extra/%2e%2e/models", "/team-a/v1/models"),  # dots that stay inside the base resolve
    # escaped twice: relayed escaped once more, so the upstream reads a literal "%2e%2e" segment, not ".."
    ("/fx/%252e%252e/%252e%252e/team-b/v1/models", "/team-a/v1/%2e%2e/%2e%2e/team-b/v1/models"),
])
async def test_paths_that_stay_inside_api_base_are_relayed(path, reaches):
    _, reached = await get_under_team_a(path)
    assert [request.path for request in reached] == [reaches]


@pytest.mark.parametrize("path", [
    "/fx/..;/..;/team-b/v1/models",  # Tomcat and Spring read '..;' as '..'
    "/fx/..;x=1/..;x=1/team-b/v1/models",
    "/fx/..%5c..%5cteam-b/v1/models",  # IIS and some gateways read '\' as '/'
    "/fx/v1%5C..%5C..%5C..%5Cteam-b/v1/models",
])
async def test_a_disguised_dot_segment_is_a_400_and_never_sent(path):
    answer, reached = await get_under_team_a(path)
    assert answer.status == 400, answer.body
    assert error_shape_ok("openai-chat", json.loads(answer.body), 400)
    assert not reached
