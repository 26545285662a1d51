"""Canonical JSON and its SHA-256: what "the same payload" and "the identical call" mean."""

import hashlib
import json


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(value) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def call_digest(request) -> str:
    """An API call's method, path and body (its JSON, canonical)."""
    return digest({"method": request.method, "path": request.path, "body": request.data})
