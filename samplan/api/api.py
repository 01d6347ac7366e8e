"""The NinjaAPI: /api/v1/, its schema at /api/v1/openapi.json and docs at /api/v1/docs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.utils.html import format_html
from ninja import NinjaAPI
from ninja.openapi.docs import DocsBase

from . import documents, errors, plans, registry, statistics, worklist
from .auth import BearerActor

if TYPE_CHECKING:
    from ninja import NinjaAPI as NinjaAPIType

DESCRIPTION = """\
Samordnad individuell plan (SIP): the registry, plans through their lifecycle, and the
worklist. Every call needs `Authorization: Bearer <token>` (`samplan token create`); the call
acts as the token's user through the unit named in the `X-Samplan-Unit` header (a unit id)
or the user's first unit, under the same rules as the pages.

Errors are JSON: `{"detail": "...", "errors": {"field": ["..."]}}`. 400 bad input, 401 no
valid token, 404 missing or not yours (the same answer), 409 a step the plan's state does not
allow, an edit conflict (`revision`) or a plan that lacks required items (`missing`), 413 a
body over the size limit.
"""


class LocalSwagger(DocsBase):
    """Swagger UI from ninja's own static files (never a CDN), with no inline script, so the
    site's Content-Security-Policy (script-src 'self' plus nonces) holds on this page too.
    The settings travel as JSON in a non-executed script element that swagger-ui-init.js
    reads. Needs "ninja" in INSTALLED_APPS for the static files to be served."""

    settings: dict[str, Any] = {
        "layout": "BaseLayout",
        "deepLinking": True,
        # Otherwise Swagger UI loads a badge from validator.swagger.io.
        "validatorUrl": None,
        # The token stays in the page, not in the browser's storage.
        "persistAuthorization": False,
    }

    def render_page(self, request: HttpRequest, api: NinjaAPIType, **kwargs: Any) -> HttpResponse:
        config = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        # Escaped for an HTML script element: "</" cannot end it early.
        config_json = json.dumps(config).replace("<", "\\u003c")
        html = format_html(
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            '<title>{title}</title><link rel="stylesheet" href="{css}">'
            '<link rel="icon" href="{icon}" type="image/svg+xml"></head>'
            '<body data-csrf-token="" data-api-csrf="">'
            '<script type="application/json" id="swagger-settings">{config}</script>'
            '<div id="swagger-ui"></div>'
            '<script src="{bundle}"></script><script src="{init}"></script>'
            "</body></html>",
            title=api.title,
            css=static("ninja/swagger-ui.css"),
            icon=static("ninja/favicon.svg"),
            config=_Raw(config_json),
            bundle=static("ninja/swagger-ui-bundle.js"),
            init=static("ninja/swagger-ui-init.js"),
        )
        return HttpResponse(html)


class _Raw(str):
    """Already safe for the script element (see render_page)."""

    def __html__(self) -> str:
        return str(self)


# Response descriptions in the schema, ours rather than the running Python's: django-ninja
# takes them from http.client.responses, whose phrases change between versions (Python 3.13
# says "Content Too Large" for 413), and the committed schema must not depend on the
# interpreter that served it.
STATUS_DESCRIPTIONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    409: "Conflict",
    413: "Request Entity Too Large",
    422: "Unprocessable Entity",
    503: "Service Unavailable",
}


def with_stable_status_descriptions(schema: Any) -> Any:
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                response["description"] = STATUS_DESCRIPTIONS.get(
                    int(status), response["description"]
                )
    return schema


class SamplanAPI(NinjaAPI):
    _schemas: dict[str, Any]

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        """The schema does not change while the process runs: build it once per prefix."""
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        cache = self.__dict__.setdefault("_schemas", {})
        if path_prefix not in cache:
            schema = super().get_openapi_schema(path_prefix=path_prefix)
            cache[path_prefix] = with_stable_status_descriptions(schema)
        return cache[path_prefix]

    def create_response(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Answers hold personal data and come to token holders, whom NoStoreMiddleware (which
        looks at the session user) does not see: no browser or proxy may keep them."""
        response = super().create_response(request, *args, **kwargs)
        response["Cache-Control"] = "no-store, private, max-age=0"
        return response


api: NinjaAPI = SamplanAPI(
    title="Samplan API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs=LocalSwagger(),
    docs_url="/docs",
    auth=BearerActor(),
)
errors.install(api)
api.add_router("/", registry.router)
api.add_router("/", plans.router)
api.add_router("/", worklist.router)
api.add_router("/", documents.router)
api.add_router("/", statistics.router)
