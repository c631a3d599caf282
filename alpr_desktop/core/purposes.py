"""Authorised purposes for access to ALPR data (policy 471.3, 471.4, 471.6(b))."""

from __future__ import annotations

#: Defaults; the department may edit the list (settings key ``purposes``).
DEFAULT_PURPOSES: tuple[str, ...] = (
    "Stolen or wanted vehicle",
    "Stolen license plate",
    "Missing person",
    "Active warrant",
    "Homeland security",
    "Electronic surveillance",
    "Suspect interdiction",
    "Stolen property recovery",
    "Criminal investigation",
    "Department civil or administrative action",
)
