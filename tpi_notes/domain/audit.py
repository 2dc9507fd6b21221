"""The audit trail's hash chain: each event's hash covers its content and the previous hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime

GENESIS_HASH = "0" * 64
ACTIONS = ("view", "create", "change", "sign", "addendum", "print", "export", "query", "login", "demo", "backup")


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    user_id: int | None
    action: str
    entity: str
    entity_id: int | None
    patient_id: int | None
    detail: str
    prev_hash: str


def chain_hash(entry: AuditEntry) -> str:
    payload = asdict(entry)
    payload["at"] = entry.at.isoformat(timespec="seconds")
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
