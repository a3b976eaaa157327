"""Azure OpenAI: deployment paths with ``api-version`` and the ``api-key`` header.

Chat and embeddings go to ``{base_url}/openai/deployments/{deployment}/{path}?api-version=``.
Azure serves the Responses API only on its v1 surface, ``{base_url}/openai/v1/responses``,
with the deployment name as ``model`` and no ``api-version`` (Microsoft Learn, "Azure OpenAI
Responses API"; the v1 API needs none). Answers are OpenAI's format, as are error bodies.
"""

from __future__ import annotations

from typing import Any

import orjson

from gouvernail.gateway.providers.adapter import PreparedRequest
from gouvernail.gateway.providers.exchange import Operation
from gouvernail.gateway.providers.openai import PATHS, OpenAICompatible, upstream_body
from gouvernail.inventory.routing import RoutableModel

DEFAULT_API_VERSION = "2024-10-21"
"""The latest generally available data-plane version, used when the inventory names none."""


def _resource(model: RoutableModel) -> str:
    base = model.endpoint.base_url
    return base.removesuffix("/openai/v1").removesuffix("/openai")


class AzureOpenAI(OpenAICompatible):
    def url(self, model: RoutableModel, operation: Operation) -> str:
        if operation == "responses":
            return _resource(model) + "/openai/v1/responses"
        deployment = model.endpoint.azure_deployment or model.upstream_model
        version = model.endpoint.azure_api_version or DEFAULT_API_VERSION
        return (
            f"{_resource(model)}/openai/deployments/{deployment}{PATHS[operation]}"
            f"?api-version={version}"
        )

    def headers(self, api_key: str | None) -> dict[str, str]:
        headers = {"content-type": "application/json", "accept": "application/json"}
        if api_key is not None:
            headers["api-key"] = api_key
        return headers

    def prepare(
        self,
        model: RoutableModel,
        operation: Operation,
        body: dict[str, Any],
        api_key: str | None,
        *,
        stream: bool,
    ) -> PreparedRequest:
        out = upstream_body(model, operation, body, stream=stream)
        if operation == "responses":
            out["model"] = model.endpoint.azure_deployment or model.upstream_model
        headers = self.headers(api_key)
        if stream:
            headers["accept"] = "text/event-stream"
        return PreparedRequest(self.url(model, operation), headers, orjson.dumps(out))
