"""What the tests share: where things are, the tiny configuration, small datasets, and running the CLI."""
