"""Declare JSON endpoints once: the pydantic models that validate them write the OpenAPI doc."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask_login import current_user
from pydantic import BaseModel, Field, ValidationError

from saas.errors import ValidationFailed
from saas.web import error_response


class ErrorBody(BaseModel):
    code: str
    message: str
    path: str | None = Field(
        default=None,
        description="A bad query tree (code invalid_query): the JSON path of the bad node, "
        'e.g. "$.and[1].or[0].op", or "sort"',
    )


class ErrorResponse(BaseModel):
    error: ErrorBody


@dataclass
class Operation:
    rule: str
    method: str
    summary: str
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    auth: bool
    errors: dict[int, str] = field(default_factory=dict)
    many: bool = False
    query: type[BaseModel] | None = None
    #: multipart/form-data file fields: name → description (all required).
    files: dict[str, str] | None = None
    #: The endpoint answers a file of this media type (the function returns a Response).
    raw: str | tuple[str, ...] | None = None
    also: dict[int, str] = field(default_factory=dict)


class ApiRegistry:
    """The endpoints of one API blueprint, and the OpenAPI document they make."""

    def __init__(self, blueprint: Blueprint, title: str, version: str) -> None:
        self.bp = blueprint
        self.title = title
        self.version = version
        self.operations: list[Operation] = []

    def route(
        self,
        rule: str,
        method: str,
        *,
        summary: str,
        body: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        auth: bool = True,
        errors: dict[int, str] | None = None,
        many: bool = False,
        decorators: list[Callable] | None = None,
        query: type[BaseModel] | None = None,
        files: dict[str, str] | None = None,
        raw: str | tuple[str, ...] | None = None,
        also: dict[int, str] | None = None,
    ) -> Callable:
        """Register ``fn(body?, query?, files?, **path) -> model | list | (model, status)`` at
        ``rule``.

        ``query`` validates the query string (documented as query parameters). ``files`` makes
        the request multipart/form-data: ``fn`` gets ``{name: FileStorage}`` (a missing file is
        422). ``raw`` documents a file answer of that media type (or of
        each of a tuple of types); ``fn`` returns the Response.
        ``also``: other success statuses answered with the same ``response`` (202 for work queued).
        """
        op = Operation(
            rule,
            method,
            summary,
            body,
            response,
            status,
            auth,
            errors or {},
            many,
            query,
            files,
            raw,
            also or {},
        )
        self.operations.append(op)

        def decorator(fn: Callable) -> Callable:
            @wraps(fn)
            def view(**path: Any) -> Response:
                if op.auth and not current_user.is_authenticated:
                    return error_response(401, "unauthorized", "A valid bearer token is required.")
                args: list[Any] = []
                if op.body is not None:
                    payload = request.get_json(silent=True)
                    if payload is None:
                        raise ValidationFailed(
                            "The body must be a JSON object.", code="invalid_json"
                        )
                    try:
                        args.append(op.body.model_validate(payload))
                    except ValidationError as exc:
                        first = exc.errors()[0]
                        where = ".".join(str(p) for p in first["loc"]) or "body"
                        raise ValidationFailed(f"{where}: {first['msg']}", code="invalid") from exc
                if op.query is not None:
                    try:
                        args.append(op.query.model_validate(request.args.to_dict()))
                    except ValidationError as exc:
                        first = exc.errors()[0]
                        where = ".".join(str(p) for p in first["loc"]) or "query"
                        raise ValidationFailed(f"{where}: {first['msg']}", code="invalid") from exc
                if op.files is not None:
                    uploads = {name: request.files.get(name) for name in op.files}
                    for name, upload in uploads.items():
                        if upload is None:
                            raise ValidationFailed(
                                f"{name}: a file is required (multipart/form-data)",
                                code="invalid",
                            )
                    args.append(uploads)
                result = fn(*args, **path)
                if op.raw is not None:
                    return result
                code = op.status
                if isinstance(result, tuple):
                    result, code = result
                if op.response is None:
                    return Response(status=code)
                if op.many:
                    data = [op.response.model_validate(r).model_dump(mode="json") for r in result]
                else:
                    data = op.response.model_validate(result).model_dump(mode="json")
                resp = jsonify(data)
                resp.status_code = code
                return resp

            wrapped = view
            for deco in reversed(decorators or []):
                wrapped = deco(wrapped)
            self.bp.add_url_rule(rule, fn.__name__, wrapped, methods=[method])
            return wrapped

        return decorator

    def document(self) -> dict[str, Any]:
        """The OpenAPI 3.1 document of every registered operation."""
        schemas: dict[str, Any] = {}

        def ref(model: type[BaseModel]) -> dict[str, str]:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in schema.pop("$defs", {}).items():
                schemas[name] = sub
            schemas[model.__name__] = schema
            return {"$ref": f"#/components/schemas/{model.__name__}"}

        error_ref = ref(ErrorResponse)
        paths: dict[str, Any] = {}
        prefix = self.bp.url_prefix or ""
        for op in self.operations:
            path = prefix + op.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
            item: dict[str, Any] = {
                "summary": op.summary,
                "operationId": f"{op.method.lower()}_{path}",
            }
            params = [
                {"name": p, "in": "path", "required": True, "schema": {"type": kind}}
                for p, kind in _path_params(op.rule)
            ]
            if op.query is not None:
                qschema = op.query.model_json_schema()
                required = set(qschema.get("required", []))
                params += [
                    {
                        "name": name,
                        "in": "query",
                        "required": name in required,
                        "schema": {k: v for k, v in spec.items() if k != "title"},
                        **({"description": spec["description"]} if "description" in spec else {}),
                    }
                    for name, spec in qschema.get("properties", {}).items()
                ]
            if params:
                item["parameters"] = params
            if op.body is not None:
                item["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": ref(op.body)}},
                }
            if op.files is not None:
                item["requestBody"] = {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": sorted(op.files),
                                "properties": {
                                    name: {
                                        "type": "string",
                                        "format": "binary",
                                        "description": description,
                                    }
                                    for name, description in op.files.items()
                                },
                            }
                        }
                    },
                }
            ok: dict[str, Any] = {"description": "OK"}
            if op.raw is not None:
                types = (op.raw,) if isinstance(op.raw, str) else op.raw
                binary = {"schema": {"type": "string", "format": "binary"}}
                ok["content"] = {t: binary for t in types}
            if op.response is not None:
                schema: dict[str, Any] = ref(op.response)
                if op.many:
                    schema = {"type": "array", "items": schema}
                ok["content"] = {"application/json": {"schema": schema}}
            responses: dict[str, Any] = {str(op.status): ok}
            for other, description in op.also.items():
                responses[str(other)] = {**ok, "description": description}
            errors = {422: "Invalid request", **op.errors}
            if op.auth:
                errors[401] = "Missing or invalid bearer token"
                item["security"] = [{"bearer": []}]
            for status, description in sorted(errors.items()):
                responses[str(status)] = {
                    "description": description,
                    "content": {"application/json": {"schema": error_ref}},
                }
            item["responses"] = responses
            paths.setdefault(path, {})[op.method.lower()] = item
        return {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": self.version},
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            },
        }


def _path_params(rule: str) -> list[tuple[str, str]]:
    """(name, JSON type) of each ``<converter:name>`` in ``rule``: int → integer, else string."""
    import re

    return [
        (name, "integer" if converter == "int" else "string")
        for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule)
    ]


def reference(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The OpenAPI document as a person reads it: one entry per operation, with the fields of
    its request and response bodies resolved (for the HTML reference page)."""
    schemas = doc.get("components", {}).get("schemas", {})

    def resolve(schema: dict[str, Any] | None) -> tuple[str, list[dict[str, Any]]]:
        if not schema:
            return "", []
        many = schema.get("type") == "array"
        target = schema.get("items", {}) if many else schema
        name = target.get("$ref", "").rsplit("/", 1)[-1]
        body = schemas.get(name, target)
        required = set(body.get("required", []))
        fields = [
            {
                "name": field,
                "type": _type_of(spec),
                "required": field in required,
                "description": spec.get("description", ""),
            }
            for field, spec in body.get("properties", {}).items()
        ]
        return (f"[{name}]" if many else name), fields

    entries = []
    for path, methods in doc.get("paths", {}).items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            body_name, body_fields = resolve(body.get("schema"))
            responses = []
            for status, resp in op.get("responses", {}).items():
                content = resp.get("content", {}).get("application/json", {})
                name, fields = resolve(content.get("schema"))
                responses.append(
                    {
                        "status": status,
                        "description": resp.get("description", ""),
                        "schema": name,
                        "fields": fields if status.startswith("2") else [],
                    }
                )
            entries.append(
                {
                    "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "auth": bool(op.get("security")),
                    "parameters": [p["name"] for p in op.get("parameters", [])],
                    "body": body_name,
                    "body_fields": body_fields,
                    "responses": responses,
                }
            )
    return entries


def _type_of(spec: dict[str, Any]) -> str:
    if "$ref" in spec:
        return spec["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in spec:
        return " | ".join(_type_of(s) for s in spec["anyOf"])
    if spec.get("type") == "array":
        return f"array of {_type_of(spec.get('items', {}))}"
    if "enum" in spec:
        return " | ".join(str(v) for v in spec["enum"])
    return str(spec.get("format") or spec.get("type") or "any")
