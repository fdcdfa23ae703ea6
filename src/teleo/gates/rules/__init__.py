"""Every gate rule; importing this package registers them all."""

from teleo.gates.rules import agents, claims, entities, links, parse, quality, schema, sources, titles  # noqa: F401
