"""CODEOWNERS (GitHub syntax), pure: who may own a release.

Owners are `@user`, `@org/team` and e-mail addresses on any rule line; comments and blank lines
are ignored. A team entry counts for a person only when teams are allowed by policy and the
team's members are configured (`[tool.release].teams`), since membership lives on GitHub.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


@dataclass(frozen=True)
class Owners:
    users: frozenset[str] = field(default_factory=frozenset)  # logins, lower case, no '@'
    teams: frozenset[str] = field(default_factory=frozenset)  # org/team, lower case
    emails: frozenset[str] = field(default_factory=frozenset)  # lower case


def parse(text: str) -> Owners:
    users: set[str] = set()
    teams: set[str] = set()
    emails: set[str] = set()
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("\\#") else raw.strip()
        if not line:
            continue
        parts = line.split()
        for owner in parts[1:]:
            o = owner.strip().lower()
            if o.startswith("@") and "/" in o:
                teams.add(o[1:])
            elif o.startswith("@"):
                users.add(o[1:])
            elif "@" in o:
                emails.add(o)
    return Owners(frozenset(users), frozenset(teams), frozenset(emails))


def _norm(identity: str) -> str:
    """`@Login` -> `login`; `Mail@X` -> `mail@x`."""
    who = identity.strip().lower()
    return who if ("@" in who and not who.startswith("@")) else who.lstrip("@")


def same_identity(a: str, b: str) -> bool:
    """`@Alice` and `alice` are one login; e-mails compare case-insensitively."""
    return bool(_norm(a)) and _norm(a) == _norm(b)


def is_owner(
    owners: Owners,
    identity: str,
    *,
    allow_teams: bool = True,
    team_members: dict[str, list[str]] | None = None,
) -> tuple[bool, str]:
    """Whether `identity` (a login, @login or e-mail) owns code; with the rule that matched."""
    who = _norm(identity)
    if not who:
        return False, "no release owner given"
    if who in owners.emails or who in owners.users:
        return True, f"{identity} is listed"
    if allow_teams:
        for team, members in (team_members or {}).items():
            t = team.lower().lstrip("@")
            if t in owners.teams and who in {_norm(m) for m in members}:
                return True, f"{identity} is a member of @{t}"
    return False, f"{identity} is not in CODEOWNERS"
