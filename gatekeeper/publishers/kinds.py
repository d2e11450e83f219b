"""Channel kinds: what each kind of publisher asks for in its target, tells parents, and can take back.

A kind is declared once, next to its Publisher subclass, as a module-level ChannelKind; the
registry in gatekeeper.publishers lists them. The Manager's pages and `gatekeeper channels` build
their forms and checks from the declared fields, so a new kind needs no web or CLI code.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

from gatekeeper.publishers.base import InvalidTarget, Takeback

if TYPE_CHECKING:
    from gatekeeper.publishers.base import Publisher

SECRET_SHOWN_AS = "(set, hidden)"
# Names people paste from cloud examples; a kind that needs one of these must declare it secret.
_CREDENTIAL_NAMES = {
    "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "access_key", "secret_key",
    "access_key_id", "secret_access_key", "password", "token", "access_token", "app_password",
    "application_password", "secret", "api_key",
}


@dataclass(frozen=True)
class TargetField:
    """One setting in a kind's target. check returns a problem sentence, or None when the value is fine."""

    name: str
    label: str
    type: type = str
    required: bool = False
    secret: bool = False  # stored, but never shown back in pages, logs or command output
    help: str = ""
    check: Callable[[Any], str | None] | None = None


@dataclass(frozen=True)
class ChannelKind:
    """A kind of channel: its target fields, its plain-English line for parents, whether copies come back.

    make builds the publisher from a whole target mapping and raises InvalidTarget; served kinds are
    shown by the gatekeeper itself (no copy is written anywhere), so consent is re-checked per request.
    """

    name: str  # the target's "kind"
    label: str  # for the Manager: "Entrance display"
    where: str  # for parents: where media shows, in plain English
    takeback: Takeback
    make: Callable[[Mapping[str, Any]], "Publisher"]
    fields: tuple[TargetField, ...] = ()
    served: bool = False

    def field(self, name: str) -> TargetField | None:
        return next((f for f in self.fields if f.name == name), None)

    def read(self, target: Mapping[str, Any]) -> dict[str, Any]:
        """The target's fields (without kind), every key known, required ones present, each of its type
        and passing its check; raises InvalidTarget with a sentence that never repeats a value."""
        found = {key: value for key, value in target.items() if key != "kind"}
        undeclared_secrets = sorted(key for key in found if str(key).lower() in _CREDENTIAL_NAMES
                                    and not (self.field(key) and self.field(key).secret))
        if undeclared_secrets:
            raise InvalidTarget(
                f"the {self.name} target must not hold credentials ({', '.join(undeclared_secrets)}): "
                "use the environment, ~/.aws/credentials or an instance role")
        unknown = sorted(str(key) for key in found if self.field(key) is None)
        if unknown:
            allowed = ", ".join(sorted(f.name for f in self.fields)) or "nothing"
            raise InvalidTarget(f"the {self.name} target has unknown field(s) {', '.join(unknown)}; allowed: {allowed}")
        missing = sorted(f.name for f in self.fields if f.required and found.get(f.name) in (None, ""))
        if missing:
            raise InvalidTarget(f"the {self.name} target needs {', '.join(missing)}")
        for key, value in found.items():
            spec = self.field(key)
            # bool is an int in Python; a target saying "public_read": 1 is still refused.
            if value is not None and type(value) is not spec.type:
                raise InvalidTarget(
                    f"{key} in the {self.name} target must be {spec.type.__name__}, got {type(value).__name__}")
            problem = spec.check(value) if spec.check and value is not None else None
            if problem:
                raise InvalidTarget(problem)
        return found

    def shown(self, target: Mapping[str, Any] | None) -> dict[str, Any]:
        """The target as pages, logs and commands may show it: secrets replaced by a marker."""
        if not target:
            return {}
        return {key: (SECRET_SHOWN_AS if self.field(key) is not None and self.field(key).secret and value
                      else value) for key, value in target.items()}


def parse_value(spec: TargetField, text: str) -> Any:
    """A form or command-line value as the field's type; raises InvalidTarget."""
    text = text.strip()
    if spec.type is str:
        return text
    if spec.type is bool:
        lowered = text.lower()
        if lowered in ("yes", "true", "on", "1"):
            return True
        if lowered in ("no", "false", "off", "0", ""):
            return False
        raise InvalidTarget(f"{spec.name} must be yes or no")
    if spec.type is int:
        try:
            return int(text)
        except ValueError:
            raise InvalidTarget(f"{spec.name} must be a whole number") from None
    if spec.type is list:
        # A list typed into one box: items separated by commas, semicolons or new lines.
        return [part.strip() for part in re.split(r"[,;\n]", text) if part.strip()]
    raise InvalidTarget(f"{spec.name} cannot be set from text")
