"""`python -m processor` is `wix-meetings`."""

from processor.cli import main

main()
