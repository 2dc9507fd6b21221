"""Safety findings: what the rules say about a session, and the overrides a physician documented."""

from __future__ import annotations

from dataclasses import dataclass

SEVERITIES = ("stop", "warn", "info")


@dataclass(frozen=True)
class Finding:
    """One rule's verdict: ``code`` names the rule, ``subject`` what it is about (a muscle, a lot…)."""

    code: str
    severity: str
    message: str
    source: str
    subject: str = ""
    overridable: bool = False
    override_reason: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.code, self.subject)

    @property
    def blocks_signing(self) -> bool:
        return self.severity == "stop" and not (self.overridable and self.override_reason.strip())


@dataclass(frozen=True)
class FindingOverride:
    """A physician's documented reason to proceed despite an overridable stop."""

    code: str
    subject: str
    reason: str


def apply_overrides(findings: list[Finding], overrides: tuple[FindingOverride, ...]) -> list[Finding]:
    """Findings with the reasons given for them; a reason on a non-overridable finding is ignored."""
    reasons = {(o.code, o.subject): o.reason.strip() for o in overrides if o.reason.strip()}
    out = []
    for f in findings:
        reason = reasons.get(f.key, "") if f.overridable else ""
        out.append(Finding(f.code, f.severity, f.message, f.source, f.subject, f.overridable, reason))
    return out
