"""The real sshd test fleet: see tests/testfleet/README.md."""

from tests.testfleet.fleet import Fleet, FleetHost

__all__ = ["Fleet", "FleetHost"]
