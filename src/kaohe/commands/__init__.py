"""Sub-commands of the `kaohe` console script, one module each (see `kaohe.cli`)."""
