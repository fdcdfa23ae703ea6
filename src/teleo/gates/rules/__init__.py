"""Every gate rule; importing this package registers them all."""

from teleo.gates.rules import links, parse, schema  # noqa: F401
