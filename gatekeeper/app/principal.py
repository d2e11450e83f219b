"""Who is asking: passed explicitly into every application service, never defaulted."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from consent_db.audit import CLI_ACTOR, Actor


class Role(StrEnum):
    OPERATOR = "operator"  # the command line on the machine itself
    MANAGER = "manager"
    STAFF = "staff"
    PARENT = "parent"
    DEVICE = "device"  # a registered tablet before anyone signs in on it


@dataclass(frozen=True)
class Principal:
    """A role acting in one setting; the ids say which account, guardian and tablet, where there is one."""

    role: Role
    setting_id: int
    account_id: int | None = None
    guardian_id: int | None = None
    device_id: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.setting_id, int):
            raise TypeError("a principal acts in exactly one setting")
        if self.role is Role.PARENT and self.guardian_id is None:
            raise ValueError("a parent principal needs the guardian it signs in as")

    @property
    def actor(self) -> Actor:
        """The audit actor: the account (or the command-line operator) and the tablet."""
        label = CLI_ACTOR if self.role is Role.OPERATOR else None
        return Actor(account_id=self.account_id, label=label, device_id=self.device_id)


def operator(setting_id: int) -> Principal:
    """The command-line operator acting on one setting."""
    return Principal(Role.OPERATOR, setting_id)
