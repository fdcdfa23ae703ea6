"""The `teleo` command line: thin wrappers over the stage entry points."""
