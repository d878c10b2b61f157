"""``python -m emkit``: the emkit command line."""

from emkit.cli import main

if __name__ == "__main__":
    main()
