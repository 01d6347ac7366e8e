"""An API client that acts with a demo user's bearer token."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from samplan.accounts.models import User
from samplan.accounts.services import api_token_create

BASE = "/api/v1/"


class ApiClient:
    def __init__(self, token: str | None, unit_id: int | None = None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"
        if unit_id is not None:
            self.headers["X-Samplan-Unit"] = str(unit_id)

    def call(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None) -> Any:
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        kwargs: dict[str, Any] = {"headers": self.headers}
        if data is not None:
            kwargs.update(data=data, content_type="application/json")
        return getattr(self.client, method)(BASE + path.lstrip("/"), **kwargs)

    def get(self, path: str) -> Any:
        return self.call("get", path)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.call("post", path, {} if body is None and "raw" not in kw else body, **kw)

    def put(self, path: str, body: Any) -> Any:
        return self.call("put", path, body)

    def patch(self, path: str, body: Any) -> Any:
        return self.call("patch", path, body)

    def delete(self, path: str) -> Any:
        return self.call("delete", path)


@pytest.fixture
def api(db: None) -> Callable[..., ApiClient]:
    def as_user(username: str, unit_id: int | None = None) -> ApiClient:
        _token, clear = api_token_create(user=User.objects.get(username=username))
        return ApiClient(clear, unit_id)

    return as_user
